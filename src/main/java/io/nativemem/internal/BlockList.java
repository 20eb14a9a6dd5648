package io.nativemem.internal;

import java.util.Arrays;

/**
 * The blocks an arena owns, as two growable arrays (no object per block), freed together when
 * the arena closes or the GC finds it unreachable. Thread-safe: a shared arena allocates from
 * many threads and may be closed by any of them.
 */
public final class BlockList {

    private long[] addresses = new long[8];
    private long[] sizes = new long[8];
    private int count;
    private long bytes;
    private boolean freed;

    /**
     * Records a block.
     *
     * @return {@code false} when the list was already freed: the caller still owns the block
     */
    public synchronized boolean add(long address, long size) {
        if (freed) {
            return false;
        }
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            sizes = Arrays.copyOf(sizes, count * 2);
        }
        addresses[count] = address;
        sizes[count] = size;
        count++;
        bytes += size;
        return true;
    }

    /** How many blocks the list holds now. */
    public synchronized int count() {
        return count;
    }

    /** How many bytes of capacity the list holds now. */
    public synchronized long bytes() {
        return bytes;
    }

    /** Frees every block once, then returns all their reservations to the ledger in one step. */
    public void freeAll(boolean byGc) {
        long[] toFree;
        int n;
        long total;
        synchronized (this) {
            if (freed) {
                return;
            }
            freed = true;
            toFree = addresses;
            n = count;
            total = bytes;
            addresses = null;
            sizes = null;
        }
        for (int i = 0; i < n; i++) {
            LibcAllocator.free(toFree[i]);
        }
        Reservations ledger = Ledger.global();
        ledger.release(total, 0, n);
        ledger.recordFreed(n, byGc);
    }
}
