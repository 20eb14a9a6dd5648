package io.nativemem.forked;

import io.nativemem.LeakReport;
import io.nativemem.NativeArena;
import io.nativemem.NativeMemory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs in the default leak detection mode ({@code sample}): leaks 300 confined arenas, waits for
 * their reports, then leaks 3,000 more and waits for those, and prints how many reports of each
 * round carry where the arena was created.
 */
public final class LeakSamplingProbe {

    // Held, so that the level set on it stays: 3,300 warnings would flood the test's output.
    private static final Logger QUIET = Logger.getLogger("io.nativemem");

    public static void main(String[] args) throws Exception {
        QUIET.setLevel(Level.OFF);
        List<LeakReport> leaks = new CopyOnWriteArrayList<>();
        NativeMemory.setLeakListener(leaks::add);
        report("before", leakAndAwait(300, leaks));
        leaks.clear();
        report("after", leakAndAwait(3000, leaks));
    }

    private static List<LeakReport> leakAndAwait(int arenas, List<LeakReport> leaks) throws InterruptedException {
        for (int i = 0; i < arenas; i++) {
            NativeArena.ofConfined().allocate(64); // never closed, unreachable at once
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (leaks.size() < arenas && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        return List.copyOf(leaks);
    }

    private static void report(String round, List<LeakReport> leaks) {
        long traced = leaks.stream().filter(leak -> !leak.createdAt().isEmpty()).count();
        System.out.println(round + ": reports=" + leaks.size() + " traced=" + traced);
    }
}
