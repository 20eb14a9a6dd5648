package io.nativemem.internal;

import io.nativemem.internal.libc.Libc;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The allocate, zero and free steps of the pipeline: libc {@code malloc}, {@code calloc},
 * {@code posix_memalign}, {@code memset} and {@code free}, called through the
 * jextract-generated {@link Libc} bindings.
 *
 * <p>The handles are rebuilt from the generated addresses and descriptors. Small blocks go
 * through {@link Linker.Option#critical(boolean)} handles, which skip the thread-state
 * transition (malloc + free of 64 B: 19 ns through plain handles, 7.5 ns through critical
 * ones). A critical call keeps its thread in the Java state, so no safepoint, GC or handshake of
 * the JVM can start until it returns: work that grows with the size (zeroing, {@code calloc}
 * clearing a heap chunk, {@code free} unmapping touched pages) therefore goes through plain
 * handles from {@link #CRITICAL_LIMIT} on, as {@code java.nio.Bits} zeroes in 1 MiB steps for
 * the same reason. Measured with {@code -Xlog:safepoint} while another thread zeroed a 3 GiB
 * aligned block: time to safepoint up to 6.1 s with one critical {@code memset}, at most
 * a few ms with the plain one. Between 4 KiB and that limit, blocks are zeroed in Java
 * ({@link #zeroByLoop}), which is faster here and never keeps a safepoint waiting.
 */
public final class LibcAllocator {

    /** What glibc's {@code malloc} already guarantees on 64-bit targets ({@code alignof(max_align_t)}). */
    public static final long MALLOC_ALIGNMENT = 16;

    /**
     * From this size on, {@code calloc} replaces {@code malloc} + {@code memset}: it costs the same
     * on heap chunks (it clears them itself) and skips the clearing for chunks glibc maps fresh
     * from the kernel, which arrive zeroed (64 MiB: no pass over the memory at all).
     */
    static final long CALLOC_THRESHOLD = 128 * 1024;

    /**
     * Below this size a call whose work grows with the size is short enough to be critical: a
     * {@code memset} of 128 KiB takes about 1 us warm and some 30 us on fresh pages.
     */
    static final long CRITICAL_LIMIT = 128 * 1024;
    /** Blocks from this size up to {@link #CRITICAL_LIMIT} are zeroed by a Java loop ({@link #zeroByLoop}). */
    static final long LOOP_ZEROING_FROM = 4096;
    // The whole address space as one segment of the global scope, for zeroByLoop.
    private static final MemorySegment EVERYTHING = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private static final MethodHandle MALLOC = critical(Libc.malloc$address(), addressesAsLongs(Libc.malloc$descriptor()), false);
    // calloc serves CALLOC_THRESHOLD and up only: it may clear a heap chunk of that size.
    private static final MethodHandle CALLOC = plain(Libc.calloc$address(), addressesAsLongs(Libc.calloc$descriptor()));
    private static final MethodHandle MEMSET = critical(Libc.memset$address(), addressesAsLongs(Libc.memset$descriptor()), false);
    private static final MethodHandle MEMSET_PLAIN = plain(Libc.memset$address(), addressesAsLongs(Libc.memset$descriptor()));
    private static final MethodHandle FREE = critical(Libc.free$address(), addressesAsLongs(Libc.free$descriptor()), false);
    private static final MethodHandle FREE_PLAIN = plain(Libc.free$address(), addressesAsLongs(Libc.free$descriptor()));
    // Critical for every size: it carves from the heap or maps fresh pages, work that does not
    // grow with the size (posix_memalign of 3 GiB aligned to 4096: 9 to 47 us measured), and
    // the heap access lets the out-parameter be a Java long[] instead of native scratch memory.
    private static final MethodHandle POSIX_MEMALIGN =
            critical(Libc.posix_memalign$address(), Libc.posix_memalign$descriptor(), true);

    private LibcAllocator() {
    }

    private static MethodHandle critical(MemorySegment address, FunctionDescriptor descriptor, boolean heapAccess) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.critical(heapAccess));
    }

    /**
     * The generated descriptor with every pointer passed and returned as a {@code long}: the same
     * call for the C ABI (a pointer and a 64-bit integer travel in the same registers on the
     * platforms the bindings were generated for), without a {@code MemorySegment} to make for
     * the result, or to check and acquire for an argument. Measured: malloc + memset + free of
     * 64 B through critical handles, 37.5 ns with pointers as segments, 25.7 ns as longs (two
     * forks of a loaded 2-core machine).
     */
    private static FunctionDescriptor addressesAsLongs(FunctionDescriptor descriptor) {
        if (ValueLayout.ADDRESS.byteSize() != ValueLayout.JAVA_LONG.byteSize()) {
            throw new AssertionError("pointers are not 64-bit here: " + ValueLayout.ADDRESS);
        }
        MemoryLayout[] arguments = descriptor.argumentLayouts().stream().map(LibcAllocator::asLong)
                .toArray(MemoryLayout[]::new);
        return descriptor.returnLayout()
                .map(result -> FunctionDescriptor.of(asLong(result), arguments))
                .orElseGet(() -> FunctionDescriptor.ofVoid(arguments));
    }

    private static MemoryLayout asLong(MemoryLayout layout) {
        return layout instanceof AddressLayout ? ValueLayout.JAVA_LONG : layout;
    }

    private static MethodHandle plain(MemorySegment address, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address, descriptor);
    }

    /** The libc call {@link #allocateZeroed} makes for this size and alignment, for messages. */
    static String callFor(long size, long alignment) {
        return alignment > MALLOC_ALIGNMENT ? "posix_memalign" : size >= CALLOC_THRESHOLD ? "calloc" : "malloc";
    }

    /**
     * Allocates {@code size} zeroed bytes aligned to {@code alignment} (a power of two).
     *
     * @return the address, or 0 when libc could not allocate
     */
    public static long allocateZeroed(long size, long alignment) {
        if (Faults.ENABLED && Faults.fire(Faults.Point.ALLOCATE)) {
            return 0;
        }
        try {
            if (alignment > MALLOC_ALIGNMENT) {
                long[] out = new long[1];
                int rc = (int) POSIX_MEMALIGN.invokeExact(MemorySegment.ofArray(out), alignment, size);
                if (rc != 0 || out[0] == 0) {
                    return 0;
                }
                zero(out[0], size);
                return out[0];
            }
            if (size >= CALLOC_THRESHOLD) {
                return (long) CALLOC.invokeExact(1L, size);
            }
            long address = (long) MALLOC.invokeExact(size);
            if (address != 0) {
                zero(address, size);
            }
            return address;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void zero(long address, long size) throws Throwable {
        if (size >= LOOP_ZEROING_FROM && size < CRITICAL_LIMIT) {
            zeroByLoop(address, size);
            return;
        }
        long ignored = size < CRITICAL_LIMIT
                ? (long) MEMSET.invokeExact(address, 0, size)
                : (long) MEMSET_PLAIN.invokeExact(address, 0, size);
    }

    /**
     * Zeroes with a loop of long stores, which C2 vectorises: from 4 KiB up to the critical limit
     * it beat glibc's {@code memset} (which uses {@code rep stosb} from 2 KiB) on this project's
     * machines, and it keeps the thread where it can reach a safepoint. The stores go through one
     * segment of the whole address space, made once: a segment made per call reached the heap (80
     * bytes per GC-managed buffer, measured) wherever this was not inlined. JMH {@code Zeroing},
     * {@code everythingLoop} against {@code memsetCritical}, one run: 4 KiB 54.7 against 81.5 ns,
     * 16 KiB 179 against 246, 64 KiB 828 against 852; at 512 B {@code memset} wins (9.1 against
     * 24.4 ns for a loop, in an earlier run).
     */
    private static void zeroByLoop(long address, long size) {
        long words = address + (size & ~7L);
        for (long at = address; at < words; at += 8) {
            EVERYTHING.set(ValueLayout.JAVA_LONG_UNALIGNED, at, 0L);
        }
        for (long at = words; at < address + size; at++) {
            EVERYTHING.set(ValueLayout.JAVA_BYTE, at, (byte) 0);
        }
    }

    /**
     * Frees a block that {@link #allocateZeroed} returned; 0 is ignored, as by libc.
     *
     * @param size the block's size: a large block is freed through a plain call, since
     *     unmapping its pages takes time that grows with them
     */
    public static void free(long address, long size) {
        try {
            if (size < CRITICAL_LIMIT) {
                FREE.invokeExact(address);
            } else {
                FREE_PLAIN.invokeExact(address);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Frees a block smaller than {@link #CRITICAL_LIMIT} that {@link #allocateZeroed} returned,
     * through the critical call: an arena's slabs, whose size it does not keep.
     */
    public static void freeSmall(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Rethrows what a downcall threw: unchecked as it is, anything else wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("Unexpected checked exception from a libc downcall", t);
    }
}
