package io.nativemem.internal;

import java.util.Arrays;

/**
 * The blocks and file mappings an arena owns, as parallel growable arrays (no object per entry),
 * all freed together when the arena closes or the GC finds it unreachable. Thread-safe: a shared
 * arena allocates from many threads and may be closed by any of them.
 */
public final class BlockList {

    private long[] addresses = new long[8];
    private long[] sizes = new long[8];
    // 0 for a malloc'ed block; for a mapping, the span to munmap (sizes[i] is then what it exposes).
    private long[] spans = new long[8];
    private int count;
    private int blocks;
    private long bytes;
    private boolean freed;

    /**
     * Records a malloc'ed block.
     *
     * @return {@code false} when the list was already freed: the caller still owns the block
     */
    public boolean add(long address, long size) {
        return add(address, size, 0);
    }

    /**
     * Records a file mapping of {@code span} bytes at {@code base} that exposes {@code length}.
     *
     * @return {@code false} when the list was already freed: the caller still owns the mapping
     */
    public boolean addMapping(long base, long span, long length) {
        return add(base, length, span);
    }

    private synchronized boolean add(long address, long size, long span) {
        if (freed) {
            return false;
        }
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            sizes = Arrays.copyOf(sizes, count * 2);
            spans = Arrays.copyOf(spans, count * 2);
        }
        addresses[count] = address;
        sizes[count] = size;
        spans[count] = span;
        count++;
        if (span == 0) {
            blocks++;
            bytes += size;
        }
        return true;
    }

    /** How many malloc'ed blocks the list holds now. */
    public synchronized int count() {
        return blocks;
    }

    /** How many bytes of capacity the malloc'ed blocks hold now. */
    public synchronized long bytes() {
        return bytes;
    }

    /**
     * Frees every block and unmaps every mapping once, then returns the blocks' reservations to
     * the ledger in one step. A failing {@code munmap} does not stop the others from being freed.
     */
    public void freeAll(boolean byGc) {
        long[] toFree;
        long[] lengths;
        long[] toUnmap;
        int n;
        int heapBlocks;
        long total;
        synchronized (this) {
            if (freed) {
                return;
            }
            freed = true;
            toFree = addresses;
            lengths = sizes;
            toUnmap = spans;
            n = count;
            heapBlocks = blocks;
            total = bytes;
            addresses = null;
            sizes = null;
            spans = null;
        }
        RuntimeException failure = null;
        for (int i = 0; i < n; i++) {
            if (toUnmap[i] == 0) {
                LibcAllocator.free(toFree[i]);
            } else {
                try {
                    FileMapper.unmap(toFree[i], toUnmap[i], lengths[i]);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
        }
        Reservations ledger = Ledger.global();
        ledger.release(total, 0, heapBlocks);
        ledger.recordFreed(heapBlocks, byGc);
        if (failure != null) {
            throw failure;
        }
    }
}
