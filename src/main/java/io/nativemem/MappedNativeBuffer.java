package io.nativemem;

import io.nativemem.internal.FileMapper;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * A {@link NativeBuffer} over a region of a file mapped with libc {@code mmap}, from
 * {@link NativeArena#map}. It exposes exactly the requested bytes, whatever their page alignment,
 * and is unmapped when its arena closes (or the GC frees an automatic arena). Mapped bytes do not
 * count against the limit; {@link NativeMemory#stats()} reports them apart.
 *
 * @apiNote If the file is truncated while mapped, touching a page past its new end makes the
 *     kernel raise {@code SIGBUS}. Every access of this buffer, its views and its segment is a
 *     Java-side memory access, which HotSpot turns into an {@link InternalError} ("a fault
 *     occurred in an unsafe memory access operation") instead of a crash; the same goes for
 *     {@code MemorySegment.copy} and for the JDK's own {@code MappedByteBuffer}. Passing the
 *     segment to native code that touches such a page still kills the process: nothing can
 *     recover a fault inside native code.
 */
public final class MappedNativeBuffer extends NativeBuffer {

    private final MemorySegment mapping;
    private final FileChannel.MapMode mode;

    MappedNativeBuffer(MemorySegment exposed, MemorySegment mapping, FileChannel.MapMode mode, BlockOwner owner) {
        super(exposed, owner, exposed.byteSize() == 0 ? FileMapper.PAGE_SIZE : Long.lowestOneBit(exposed.address()));
        this.mapping = mapping;
        this.mode = mode;
    }

    /**
     * The mode the file was mapped in.
     *
     * @return {@code READ_ONLY}, {@code READ_WRITE} or {@code PRIVATE}
     */
    public FileChannel.MapMode mode() {
        return mode;
    }

    /**
     * Writes every change back to the file and waits for it ({@code msync(MS_SYNC)}). Does
     * nothing for {@code READ_ONLY} and {@code PRIVATE} mappings, whose changes never reach the file.
     *
     * @return this buffer
     * @throws IllegalStateException if the mapping was unmapped, or {@code msync} failed
     */
    public MappedNativeBuffer force() {
        return force(0, capacity());
    }

    /**
     * Writes the changes in {@code [index, index + length)} back to the file ({@code msync}
     * over the pages that hold them).
     *
     * @param index the first byte, in {@code [0, capacity]}
     * @param length how many bytes
     * @return this buffer
     * @throws IndexOutOfBoundsException if the range is not within {@code [0, capacity]}
     * @throws IllegalStateException if the mapping was unmapped, or {@code msync} failed
     */
    public MappedNativeBuffer force(long index, long length) {
        Objects.checkFromIndexSize(index, length, capacity());
        checkAlive();
        if (mode == FileChannel.MapMode.READ_WRITE && length > 0) {
            FileMapper.sync(mapping, segment.address() - mapping.address() + index, length);
        }
        return this;
    }

    /**
     * Asks the kernel to read the region in ({@code madvise(MADV_WILLNEED)}) and touches one byte
     * of every page, so that later accesses do not fault.
     *
     * @return this buffer
     * @throws IllegalStateException if the mapping was unmapped
     */
    public MappedNativeBuffer load() {
        checkAlive();
        if (mapping.byteSize() == 0) {
            return this;
        }
        FileMapper.adviseWillNeed(mapping);
        byte sum = 0;
        for (long i = 0; i < mapping.byteSize(); i += FileMapper.PAGE_SIZE) {
            sum += mapping.get(ValueLayout.JAVA_BYTE, i);
        }
        touched = sum; // a field write keeps the JIT from dropping the loop
        return this;
    }

    @SuppressWarnings("unused")
    private static volatile byte touched;

    /**
     * Whether every page of the region is resident in memory ({@code mincore}). A hint only: the
     * answer may be stale as soon as it is returned.
     *
     * @return {@code true} if no access would need to read from the file right now
     * @throws IllegalStateException if the mapping was unmapped
     */
    public boolean isLoaded() {
        checkAlive();
        return mapping.byteSize() == 0 || FileMapper.isResident(mapping);
    }

    private void checkAlive() {
        if (!mapping.scope().isAlive()) {
            throw io.nativemem.internal.Errors.alreadyClosed();
        }
    }
}
