package io.nativemem.internal;

/**
 * Which blocks an explicit or automatic arena carves out of slabs, and how large its slabs are.
 *
 * <p>A slab is malloc'ed and zeroed by the arena, blocks are carved from it by bumping a pointer,
 * and it is freed when the arena is: a slab's memory is never reused within its arena, so one
 * zeroing pass per slab ({@code memset}, or a Java loop from 4 KiB up: see
 * {@link LibcAllocator}) zeroes every block carved from it. A block costs then no libc call at
 * all, where a block of its own costs three ({@code malloc}, {@code memset}, {@code free}: 9 ns for
 * 64 B through critical downcalls). What a slab holds beyond its blocks (alignment padding, the
 * end that the next block did not fit in) is charged to the ledger as overhead when the arena
 * opens the next slab.
 *
 * <p>The first slab is sized for the first block, so an arena of one block pays what a block of
 * its own costs; each later one is twice the previous, up to {@value #MAX_SLAB} bytes. Blocks of
 * up to {@value #MAX_BLOCK} bytes are carved, so a block that does not fit in a full-size slab
 * leaves at most 1/16 of it unused (plus padding for a large alignment); above that, zeroing
 * dominates the cost of a block (a {@code memset} of 4 KiB takes about 50 ns, {@code malloc} and
 * {@code free} together 7 ns), and a block of its own wastes nothing.
 */
public final class Slabs {

    /** Blocks up to this size are carved from slabs; larger ones are malloc'ed on their own. */
    public static final long MAX_BLOCK = 4096;
    /** Blocks aligned to at most this are carved; a slab pads them inside. */
    public static final long MAX_ALIGNMENT = 4096;
    /** Every block starts at a multiple of this, as a malloc'ed block does. */
    public static final long MIN_ALIGNMENT = LibcAllocator.MALLOC_ALIGNMENT;
    /** Slabs double up to this size. */
    static final long MAX_SLAB = 64 * 1024;

    static {
        // A slab is zeroed and freed through critical downcalls, without keeping its size: it must
        // be small enough for them. The largest is a full one, or the first for the largest block.
        if (Math.max(MAX_SLAB, MAX_BLOCK + MAX_ALIGNMENT - MIN_ALIGNMENT) >= LibcAllocator.CRITICAL_LIMIT) {
            throw new AssertionError("slabs must be smaller than " + LibcAllocator.CRITICAL_LIMIT + " bytes");
        }
    }

    private Slabs() {
    }

    /** Whether a block of this size and alignment is carved from a slab. */
    public static boolean carves(long size, long alignment) {
        return size <= MAX_BLOCK && alignment <= MAX_ALIGNMENT;
    }

    /**
     * Whether a block of this size and alignment is valid and carved from a slab, in the three
     * comparisons of an allocation's hot path: {@code 0 <= size <= MAX_BLOCK}, and an alignment
     * that is a power of two in {@code [1, MAX_ALIGNMENT]}. False for anything else, valid or not:
     * the slow path then validates, and throws in the pipeline's order.
     */
    public static boolean carvesValid(long size, long alignment) {
        return Long.compareUnsigned(size, MAX_BLOCK) <= 0 && Long.compareUnsigned(alignment - 1, MAX_ALIGNMENT) < 0
                && (alignment & (alignment - 1)) == 0;
    }

    /**
     * The size of the slab to open for a block that did not fit in the current one.
     *
     * @param current the size of the current slab, 0 if there is none
     * @param size the block's size, at most {@link #MAX_BLOCK}
     * @param alignment the block's alignment, at least {@link #MIN_ALIGNMENT}: a malloc'ed slab
     *     starts at a multiple of that, and the block may need up to {@code alignment - 16} bytes
     *     of padding in front
     */
    public static long nextSize(long current, long size, long alignment) {
        long needed = Math.max(MIN_ALIGNMENT, (size + alignment - 1) & -MIN_ALIGNMENT);
        return Math.max(needed, Math.min(MAX_SLAB, 2 * current));
    }

    /**
     * Allocates a zeroed slab of {@code size} bytes.
     *
     * @return its address, or 0 when libc has no memory
     */
    public static long allocate(long size) {
        return LibcAllocator.allocateZeroed(size, MIN_ALIGNMENT);
    }
}
