package io.nativemem.testing;

import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Applied to every test class (auto-detected): after the class, the ledger must be exactly empty.
 * GC-managed blocks need the GC to find them, so it collects and waits a little before judging.
 */
public final class LedgerBalanceExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) {
        MemoryStats stats = Ledger.awaitEmpty();
        if (stats.count() != 0 || stats.totalCapacity() != 0 || stats.reservedMemory() != 0) {
            fail(context.getDisplayName() + " left native memory behind: " + stats);
        }
    }

    /** Helpers to wait for the GC to hand unreachable blocks to the reclaimer. */
    public static final class Ledger {
        private Ledger() {
        }

        /** Collects until the ledger is empty or 10 s have passed; returns the last snapshot. */
        public static MemoryStats awaitEmpty() {
            long deadline = System.nanoTime() + 10_000_000_000L;
            MemoryStats stats = NativeMemory.stats();
            while ((stats.count() != 0 || stats.totalCapacity() != 0) && System.nanoTime() < deadline) {
                System.gc();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                stats = NativeMemory.stats();
            }
            return stats;
        }
    }
}
