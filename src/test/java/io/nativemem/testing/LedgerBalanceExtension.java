package io.nativemem.testing;

import io.nativemem.MemoryStats;
import io.nativemem.NativeMemory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;

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

    /**
     * Waits for the GC to hand unreachable blocks to the reclaimer, through the public API only:
     * the library keeps no waiting helper of its own for tests.
     */
    public static final class Ledger {

        /** 10 s: the slowest GC-heavy test class here empties in well under a second. */
        private static final long TIMEOUT_NANOS = 10_000_000_000L;

        private Ledger() {
        }

        /**
         * Collects until no block is live or 10 s have passed; returns the last snapshot. The closed
         * blocks of a cohort that stopped growing return within about 0.2 s without a GC (the
         * reclaimer closes an idle cohort), so the loop also simply waits.
         */
        public static MemoryStats awaitEmpty() {
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            MemoryStats stats;
            while ((stats = NativeMemory.stats()).count() > 0 && System.nanoTime() < deadline) {
                collect();
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return NativeMemory.stats();
                }
            }
            return stats;
        }

        /**
         * A full GC even under {@code -XX:+DisableExplicitGC} (some forked probes run with it): the
         * {@code GC.run} diagnostic command, or {@code System.gc()} where the command is missing.
         */
        private static void collect() {
            try {
                ManagementFactory.getPlatformMBeanServer().invoke(
                        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcRun",
                        new Object[] {null}, new String[] {String[].class.getName()});
            } catch (JMException e) {
                System.gc();
            }
        }
    }
}
