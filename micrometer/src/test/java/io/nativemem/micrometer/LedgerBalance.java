package io.nativemem.micrometer;

import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * After a test class: no block, byte or mapping may be left in nativemem's ledger. Also lets a
 * test start from an empty ledger, so that the GC freeing an earlier test's buffer cannot move a
 * gauge under it.
 */
final class LedgerBalance implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        awaitEmpty();
    }

    /**
     * Collects until no block is live and no file is mapped; fails after 10 s.
     *
     * @return the ledger once empty
     */
    static MemoryStats awaitEmpty() {
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (;;) {
            MemoryStats stats = NativeMemory.stats();
            if (stats.count() == 0 && stats.totalCapacity() == 0 && stats.reservedMemory() == 0
                    && stats.mappedCount() == 0 && stats.mappedMemory() == 0) {
                return stats;
            }
            if (System.nanoTime() > deadline) {
                fail("native memory left behind: " + stats);
            }
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for the ledger to empty: " + stats);
            }
        }
    }

    /**
     * Waits until {@code condition} holds, for at most 10 s: a closed GC-managed buffer of 64 KiB
     * or less returns its memory when its cohort's scope is closed, a little after close().
     */
    static void await(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }
}
