package io.nativemem.forked;

import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import io.nativemem.testing.LedgerBalanceExtension;

import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * A long churn of every kind at once (confined, shared and automatic arenas, GC-managed buffers
 * closed or dropped, mapped files) on several threads. Measures the resident set from
 * /proc/self/status once warm and at the end, each after the ledger emptied: it must stay flat.
 */
public final class Soak {

    public static void main(String[] args) throws Exception {
        double seconds = Double.parseDouble(args[0]);
        int threads = Math.max(4, Runtime.getRuntime().availableProcessors());
        Path file = Files.write(Files.createTempFile("soak", ".bin"), new byte[1 << 20]);
        LongAdder operations = new LongAdder();
        LongAdder ooms = new LongAdder();
        long start = System.nanoTime();
        long warm = start + (long) (seconds * 0.2e9);
        long end = start + (long) (seconds * 1e9);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> work(file, end, operations, ooms));
            workers.add(worker);
            worker.start();
        }
        while (System.nanoTime() < warm) {
            Thread.sleep(50);
        }
        long rssWarm = rssKiB();
        for (Thread worker : workers) {
            worker.join();
        }
        MemoryStats stats = LedgerBalanceExtension.Ledger.awaitEmpty();
        long rssEnd = rssKiB();
        Files.deleteIfExists(file);
        System.out.printf("seconds=%.0f threads=%d operations=%d ooms=%d rssWarmKiB=%d rssEndKiB=%d count=%d capacity=%d mapped=%d%n",
                seconds, threads, operations.sum(), ooms.sum(), rssWarm, rssEnd, stats.count(), stats.totalCapacity(),
                stats.mappedCount());
    }

    private static void work(Path file, long end, LongAdder operations, LongAdder ooms) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (System.nanoTime() < end) {
            try {
                switch (random.nextInt(6)) {
                    case 0 -> {
                        try (NativeArena arena = NativeArena.ofConfined()) {
                            for (int i = random.nextInt(1, 20); i > 0; i--) {
                                arena.allocateBuffer(random.nextInt(1, 64 << 10)).putInt(0, i);
                            }
                        }
                    }
                    case 1 -> {
                        try (NativeArena arena = NativeArena.ofShared()) {
                            MemorySegment segment = arena.allocate(random.nextInt(1, 1 << 20), 1L << random.nextInt(3, 13));
                            segment.fill((byte) 1);
                        }
                    }
                    case 2 -> NativeArena.ofAuto().allocateBuffer(random.nextInt(1, 256 << 10)).putLong(0, 1);
                    case 3 -> NativeBuffer.allocateDirect(random.nextInt(1, 1 << 20)).put(0, (byte) 1);
                    case 4 -> NativeBuffer.allocateDirect(random.nextInt(1, 1 << 20)).close();
                    default -> {
                        try (NativeArena arena = NativeArena.ofConfined()) {
                            arena.map(file, FileChannel.MapMode.READ_ONLY, random.nextInt(0, 4096), 4096).getLong(0);
                        }
                    }
                }
                operations.increment();
            } catch (OutOfMemoryError e) {
                ooms.increment();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static long rssKiB() throws Exception {
        System.gc();
        Thread.sleep(100);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
