package io.nativemem.internal;

/**
 * The allocation pipeline for one block: validate, reserve, allocate, zero; and its mirror
 * image, free then unreserve. Each finished step is undone if a later one fails, so a failure
 * leaves the ledger exactly as it found it.
 */
public final class NativeBlocks {

    private NativeBlocks() {
    }

    /**
     * Checks a size and an alignment the way {@code Arena.allocate} does.
     *
     * @throws IllegalArgumentException naming the value, for a negative size or an alignment that
     *     is not a positive power of two
     */
    public static void validate(long size, long alignment) {
        if (size < 0) {
            throw Errors.invalidSize("size", size);
        }
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) {
            throw Errors.invalidAlignment(alignment);
        }
    }

    /**
     * Reserves in {@code ledger}, allocates and zeroes one block; the caller has validated the
     * arguments.
     *
     * @return the block's address
     * @throws OutOfMemoryError when the limit leaves no room, or libc has no memory; the ledger is
     *     then unchanged but for one more failed reservation
     */
    public static long allocate(Ledger ledger, long size, long alignment) {
        ledger.reserve(size);
        long address = 0;
        try {
            address = LibcAllocator.allocateZeroed(size, alignment);
        } finally {
            if (address == 0) {
                ledger.cancel(size);
            }
        }
        if (address == 0) {
            ledger.recordRefusedByLibc(size);
            throw Errors.allocationFailed(LibcAllocator.callFor(size, alignment), size, alignment);
        }
        ledger.commit(size);
        return address;
    }

    /** The alignment a block of this requested alignment really has. */
    public static long effectiveAlignment(long alignment) {
        return Math.max(alignment, LibcAllocator.MALLOC_ALIGNMENT);
    }

    /** Frees one block and returns its reservation to {@code ledger}. */
    public static void free(Ledger ledger, long address, long size, boolean byGc) {
        LibcAllocator.free(address, size);
        ledger.release(size, 1);
        if (byGc) {
            ledger.recordFreedByGc(1);
        }
    }

    /**
     * Undoes {@link #allocate} for a block that never reached its user (a later step failed):
     * freed and unreserved, and not counted as freed in the stats.
     */
    public static void discard(Ledger ledger, long address, long size) {
        LibcAllocator.free(address, size);
        ledger.discard(size);
    }
}
