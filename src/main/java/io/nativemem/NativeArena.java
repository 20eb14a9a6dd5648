package io.nativemem;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An {@link Arena} whose every allocation is zeroed native memory from libc, counted against
 * the process-wide limit of {@link NativeMemory#maxMemory()}, and freed exactly once.
 *
 * <p>Three kinds, as in {@code java.lang.foreign}:
 * <ul>
 *   <li>{@link #ofConfined()}: one owner thread allocates, accesses and closes it;</li>
 *   <li>{@link #ofShared()}: any thread allocates, accesses and closes it;</li>
 *   <li>{@link #ofAuto()}: any thread; its memory is freed by the runtime's cleaner once the
 *       arena and everything allocated from it are unreachable.</li>
 * </ul>
 * Closing an explicit arena frees every block it allocated; afterwards every segment, buffer,
 * slice and {@code ByteBuffer} view from it throws {@link IllegalStateException} on access.
 * An explicit arena that becomes unreachable without being closed is freed by the cleaner too.
 *
 * <pre>{@code
 * try (NativeArena arena = NativeArena.ofConfined()) {
 *     NativeBuffer buffer = arena.allocateBuffer(4096);
 *     buffer.putLong(42).flip();
 * }   // freed here
 * }</pre>
 */
public sealed interface NativeArena extends Arena permits NativeArenaImpl {

    /** The alignment of {@link #allocateBuffer(long)}: what {@code malloc} guarantees anyway. */
    long DEFAULT_BUFFER_ALIGNMENT = 16;

    /**
     * Creates an arena that only the calling thread may use and close.
     *
     * @return a new open confined arena
     */
    static NativeArena ofConfined() {
        return NativeArenaImpl.create(NativeArenaImpl.Kind.CONFINED);
    }

    /**
     * Creates an arena that any thread may use and close.
     *
     * @apiNote closing a shared arena costs tens of microseconds: like the JDK's shared arenas, it
     *     must make sure no other thread is in the middle of an access.
     * @return a new open shared arena
     */
    static NativeArena ofShared() {
        return NativeArenaImpl.create(NativeArenaImpl.Kind.SHARED);
    }

    /**
     * Creates an arena whose memory the runtime's cleaner frees once the arena and every segment
     * and buffer from it are unreachable. It cannot be closed.
     *
     * @return a new automatic arena
     */
    static NativeArena ofAuto() {
        return NativeArenaImpl.create(NativeArenaImpl.Kind.AUTO);
    }

    /**
     * Allocates a zeroed block: reserve its size against the limit, then carve it from a slab of
     * the arena, or {@code malloc} it (or {@code posix_memalign} it above 4096-byte alignment) on
     * its own when it is larger than 4 KiB, zero, wrap.
     *
     * @apiNote Blocks of up to 4 KiB aligned to at most 4096 are carved from slabs that the arena
     *     {@code malloc}s and zeroes itself: the first is sized for the first block, each later one
     *     twice the previous, up to 64 KiB; all are freed when the arena is. A block costs then no
     *     libc call, and every block still counts against the limit with exactly its size. Every
     *     block starts at a multiple of 16 at least, as a {@code malloc}'ed one does.
     *
     * @param byteSize the size in bytes, {@code >= 0}
     * @param byteAlignment the alignment in bytes, a power of two
     * @return a segment of {@code byteSize} zeroed bytes, alive as long as this arena
     * @throws IllegalArgumentException if {@code byteSize < 0} or {@code byteAlignment} is not a
     *     positive power of two
     * @throws IllegalStateException if this arena is closed
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws OutOfMemoryError if the limit leaves no room even after the GC-assisted slow path,
     *     or libc has no memory
     */
    @Override
    MemorySegment allocate(long byteSize, long byteAlignment);

    /**
     * Allocates a zeroed buffer with {@link #DEFAULT_BUFFER_ALIGNMENT}.
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0}
     * @throws IllegalStateException if this arena is closed
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws OutOfMemoryError as {@link #allocate(long, long)}
     */
    default NativeBuffer allocateBuffer(long capacity) {
        return allocateBuffer(capacity, DEFAULT_BUFFER_ALIGNMENT);
    }

    /**
     * Allocates a zeroed buffer whose address is a multiple of {@code alignment}.
     *
     * @param capacity the capacity in bytes, {@code >= 0}; may exceed 2 GiB
     * @param alignment a power of two
     * @return a buffer with position 0, limit {@code capacity}, big-endian
     * @throws IllegalArgumentException if {@code capacity < 0} or {@code alignment} is not a
     *     positive power of two
     * @throws IllegalStateException if this arena is closed
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws OutOfMemoryError as {@link #allocate(long, long)}
     */
    NativeBuffer allocateBuffer(long capacity, long alignment);

    /**
     * Maps a region of a file with libc {@code mmap}; unmapped when this arena closes (or, for an
     * automatic arena, when the cleaner frees it). Mapped bytes do not count against the limit.
     *
     * @param file the file to map
     * @param mode {@code READ_ONLY}, {@code READ_WRITE} or {@code PRIVATE}
     * @param offset where the region starts in the file, {@code >= 0}; need not be page-aligned
     * @param length the region's length, {@code >= 0}; may exceed 2 GiB
     * @return a buffer over exactly the requested bytes
     * @throws IllegalArgumentException if {@code offset} or {@code length} is negative or their sum
     *     overflows
     * @throws IllegalStateException if this arena is closed
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws IOException if the file cannot be opened, grown or mapped, or a {@code READ_ONLY}
     *     region extends past its end
     */
    MappedNativeBuffer map(Path file, FileChannel.MapMode mode, long offset, long length) throws IOException;

    /**
     * Maps the whole of a file, as long as it is when this method reads its size; as
     * {@link #map(Path, FileChannel.MapMode, long, long)} otherwise.
     *
     * @param file the file to map
     * @param mode {@code READ_ONLY}, {@code READ_WRITE} or {@code PRIVATE}
     * @return a buffer over every byte of the file (none for an empty file)
     * @throws IllegalStateException if this arena is closed
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws IOException if the file does not exist, or cannot be opened or mapped
     */
    default MappedNativeBuffer map(Path file, FileChannel.MapMode mode) throws IOException {
        return map(file, mode, 0, Files.size(Objects.requireNonNull(file, "file")));
    }

    /**
     * The scope of every segment this arena allocated.
     *
     * @return the scope; {@link MemorySegment.Scope#isAlive()} turns false when the arena closes
     */
    @Override
    MemorySegment.Scope scope();

    /**
     * Frees every block and mapping of this arena. Every segment and buffer from it dies at once.
     *
     * @throws IllegalStateException if this arena is already closed, or a segment of it is in use
     *     by a downcall at this moment
     * @throws WrongThreadException if this arena is confined to another thread
     * @throws UnsupportedOperationException if this is an automatic arena
     */
    @Override
    void close();
}
