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
            io.nativemem.internal.Ledger.awaitEmpty(10_000);
            return NativeMemory.stats();
        }
    }
}
