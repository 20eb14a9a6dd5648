package io.nativemem.internal;

import io.nativemem.internal.libc.Libc;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
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
 * a few ms with the plain one.
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

    private static final MethodHandle MALLOC = critical(Libc.malloc$address(), Libc.malloc$descriptor(), false);
    // calloc serves CALLOC_THRESHOLD and up only: it may clear a heap chunk of that size.
    private static final MethodHandle CALLOC = plain(Libc.calloc$address(), Libc.calloc$descriptor());
    private static final MethodHandle MEMSET = critical(Libc.memset$address(), Libc.memset$descriptor(), false);
    private static final MethodHandle MEMSET_PLAIN = plain(Libc.memset$address(), Libc.memset$descriptor());
    private static final MethodHandle FREE = critical(Libc.free$address(), Libc.free$descriptor(), false);
    private static final MethodHandle FREE_PLAIN = plain(Libc.free$address(), Libc.free$descriptor());
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
                return ((MemorySegment) CALLOC.invokeExact(1L, size)).address();
            }
            long address = ((MemorySegment) MALLOC.invokeExact(size)).address();
            if (address != 0) {
                zero(address, size);
            }
            return address;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void zero(long address, long size) throws Throwable {
        MemorySegment block = MemorySegment.ofAddress(address);
        MemorySegment ignored = size < CRITICAL_LIMIT
                ? (MemorySegment) MEMSET.invokeExact(block, 0, size)
                : (MemorySegment) MEMSET_PLAIN.invokeExact(block, 0, size);
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
                FREE.invokeExact(MemorySegment.ofAddress(address));
            } else {
                FREE_PLAIN.invokeExact(MemorySegment.ofAddress(address));
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
            FREE.invokeExact(MemorySegment.ofAddress(address));
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
