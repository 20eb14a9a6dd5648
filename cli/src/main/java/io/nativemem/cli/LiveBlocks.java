package io.nativemem.cli;

import io.nativemem.NativeMemory;

import java.time.Duration;

/**
 * Waits until the GC has freed the GC-managed buffers that the command dropped, with nothing but
 * the library's public API: {@code NativeMemory.stats()} and {@code System.gc()}.
 */
final class LiveBlocks {

    private LiveBlocks() {
    }

    /**
     * Asks for a GC and polls the ledger every 10 ms until at most {@code count} blocks are live.
     * Small blocks closed in a cohort need no GC: the library frees them within about 0.2 s once
     * allocations stop. {@code System.gc()} does nothing under {@code -XX:+DisableExplicitGC}; the
     * command never starts a JVM with it. An interrupt ends the wait and stays set.
     *
     * @return whether at most {@code count} blocks are live
     */
    static boolean awaitAtMost(long count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (NativeMemory.stats().count() > count) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
