package io.nativemem.forked;

import io.nativemem.MemoryStats;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import javax.management.ObjectName;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The idea of OpenJDK's DirectBufferAllocTest, written anew: threads allocate buffers and drop
 * them at once, so only the GC can give the memory back. Arguments: impl (nativemem or jdk),
 * seconds, size in bytes or "random" (up to 1 MiB). Prints allocations, OOMs and the rate.
 */
public final class Churn {

    public static void main(String[] args) throws Exception {
        String impl = args[0];
        double seconds = Double.parseDouble(args[1]);
        String size = args[2];
        int threads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        LongAdder allocations = new LongAdder();
        LongAdder ooms = new LongAdder();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    int bytes = size.equals("random") ? 1 + random.nextInt(1 << 20) : Integer.parseInt(size);
                    try {
                        if (impl.equals("jdk")) {
                            ByteBuffer.allocateDirect(bytes).put(0, (byte) 1);
                        } else {
                            NativeBuffer.allocateDirect(bytes).put(0, (byte) 1);
                        }
                        allocations.increment();
                    } catch (OutOfMemoryError e) {
                        ooms.increment();
                    }
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf("impl=%s threads=%d size=%s seconds=%.1f allocations=%d ooms=%d rate=%.0f/s%n",
                impl, threads, size, elapsed, allocations.sum(), ooms.sum(), allocations.sum() / elapsed);
        if (impl.equals("nativemem")) {
            MemoryStats stats = awaitEmpty();
            System.out.println("final " + stats);
        }
    }

    /**
     * Collects until the ledger is empty (or 10 s pass) and returns the last snapshot. Uses the
     * GC.run diagnostic command, which works under -XX:+DisableExplicitGC too.
     */
    static MemoryStats awaitEmpty() throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        MemoryStats stats = NativeMemory.stats();
        while (stats.count() != 0 && System.nanoTime() < deadline) {
            ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcRun", new Object[] {null}, new String[] {String[].class.getName()});
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
            stats = NativeMemory.stats();
        }
        return stats;
    }
}
