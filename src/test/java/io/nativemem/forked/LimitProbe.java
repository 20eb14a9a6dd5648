package io.nativemem.forked;

import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import io.nativemem.testing.LedgerBalanceExtension;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs in a forked JVM with a limit of its own: prints what it saw, one fact a line, and exits
 * non-zero on the first surprise.
 */
public final class LimitProbe {

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "default" -> report("limit", NativeMemory.maxMemory() + " runtime " + Runtime.getRuntime().maxMemory());
            case "limit" -> report("limit", String.valueOf(NativeMemory.maxMemory()));
            case "exact" -> exact();
            case "zero" -> zero();
            case "malformed" -> malformed();
            case "interrupt" -> interrupt();
            case "hopeless" -> hopeless();
            case "closed" -> closed();
            case "stragglers" -> stragglers(true);
            case "stragglers left to the GC" -> stragglers(false);
            case "refused" -> refusedByLibc();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void report(String key, String value) {
        System.out.println(key + ": " + value);
    }

    private static void exact() throws Exception {
        long limit = NativeMemory.maxMemory();
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(limit - 100, 8);
            arena.allocateBuffer(100);
            report("filled", String.valueOf(NativeMemory.stats().totalCapacity()));
            try {
                arena.allocate(1, 1);
                report("one more byte", "allocated");
            } catch (OutOfMemoryError e) {
                report("one more byte", e.getMessage());
            }
        }
        report("after", counters());
    }

    private static void zero() throws Exception {
        Path file = Files.write(Files.createTempFile("nativemem-zero", ".bin"), new byte[4096]);
        try (NativeArena arena = NativeArena.ofShared()) {
            report("empty", String.valueOf(arena.allocate(0, 1).byteSize()));
            try {
                arena.allocate(1, 1);
                report("one byte", "allocated");
            } catch (OutOfMemoryError e) {
                report("one byte", e.getMessage());
            }
            report("mapped", String.valueOf(arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 4096).capacity()));
        } finally {
            Files.delete(file);
        }
        MemoryStats stats = NativeMemory.stats();
        report("slow path", "waited=" + stats.waitedReservations() + " gcRequests=" + stats.gcRequests());
        report("after", counters());
    }

    private static void malformed() {
        try {
            NativeArena.ofConfined().allocate(1, 1);
            report("allocate", "succeeded");
        } catch (IllegalArgumentException e) {
            report("allocate", e.getMessage());
        }
        try {
            report("maxMemory", String.valueOf(NativeMemory.maxMemory()));
        } catch (IllegalArgumentException e) {
            report("maxMemory", e.getMessage());
        }
    }

    /**
     * Three allocations that fit the limit and that libc refuses, beside a held 1 MiB buffer. 512 PiB
     * is refused by every kernel, whatever its overcommit policy: it is more than a 57-bit address
     * space holds (1 TiB, as in the report, is refused only under the default heuristic policy).
     */
    private static void refusedByLibc() throws Exception {
        NativeBuffer held = NativeBuffer.allocateDirect(1 << 20);
        for (int i = 0; i < 3; i++) {
            try {
                NativeBuffer.allocateDirect(1L << 59);
                report("refused", "allocated");
            } catch (OutOfMemoryError e) {
                report("refused", e.getMessage());
            }
        }
        MemoryStats stats = NativeMemory.stats();
        report("stats", "failed=" + stats.failedReservations() + " peak=" + stats.peakReservedMemory()
                + " count=" + stats.count() + " capacity=" + stats.totalCapacity());
        held.close();
        report("after", counters());
    }

    /** An allocating thread interrupted before it reaches the slow path keeps its flag, either way. */
    private static void interrupt() throws Exception {
        long limit = NativeMemory.maxMemory();
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(limit, 8); // held: nothing the GC can do
            report("no room", interruptedAllocation(1));
        }
        NativeBuffer dropped = NativeBuffer.allocateDirect(limit);
        dropped.putLong(0, 1);
        dropped = null; // only the GC can make room now
        report("room after gc", interruptedAllocation(limit));
        report("after", counters());
    }

    /**
     * A reservation that cannot succeed: all but 1 MiB held in an arena, 2 MiB asked, nothing to
     * reclaim and no other thread allocating. Reports how many GCs the slow path asked for and how
     * long it took to give up.
     */
    private static void hopeless() throws Exception {
        long limit = NativeMemory.maxMemory();
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(limit - (1 << 20), 8);
            long gcsBefore = NativeMemory.stats().gcRequests();
            long start = System.nanoTime();
            try {
                NativeBuffer.allocateDirect(2 << 20).close();
                report("hopeless", "allocated");
            } catch (OutOfMemoryError e) {
                long millis = (System.nanoTime() - start) / 1_000_000;
                report("hopeless", "OutOfMemoryError");
                report("gc requests", String.valueOf(NativeMemory.stats().gcRequests() - gcsBefore));
                report("gave up after ms", String.valueOf(millis));
            }
        }
        report("after", counters());
    }

    /**
     * Closed GC-managed blocks are held by their cohort until its scope is closed; a reservation
     * that needs their room must get it at once, without a GC.
     */
    private static void closed() throws Exception {
        long limit = NativeMemory.maxMemory();
        for (int i = 0; i < 10_000; i++) { // 40 MB through the limit, closed one by one
            NativeBuffer.allocateDirect(4096).close();
        }
        java.util.List<NativeBuffer> held = new java.util.ArrayList<>();
        for (long total = 0; total + 4096 <= limit; total += 4096) {
            held.add(NativeBuffer.allocateDirect(4096));
        }
        held.forEach(NativeBuffer::close);
        report("closed, not yet freed", String.valueOf(NativeMemory.stats().count() > 0));
        long gcsBefore = NativeMemory.stats().gcRequests();
        NativeBuffer all = NativeBuffer.allocateDirect(limit);
        report("whole limit after closes", all.capacity() + " gcs=" + (NativeMemory.stats().gcRequests() - gcsBefore));
        all.close();
        report("after", counters());
    }

    /**
     * One GC-managed buffer in 100 stays open, the rest are closed (or dropped, for the GC to
     * free): each open one shares a cohort with the others. 40 times the limit goes through; a
     * reader checks every kept buffer meanwhile.
     */
    private static void stragglers(boolean close) throws Exception {
        long limit = NativeMemory.maxMemory();
        java.util.concurrent.CopyOnWriteArrayList<NativeBuffer> kept = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    for (NativeBuffer buffer : kept) {
                        if (buffer.getLong(0) != -buffer.getLong(4088)) {
                            throw new AssertionError("a kept buffer changed: " + buffer.getLong(0));
                        }
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        long allocations = 40 * limit / 4096;
        try {
            for (long i = 1; i <= allocations; i++) {
                NativeBuffer buffer = NativeBuffer.allocateDirect(4096);
                buffer.putLong(0, i).putLong(4088, -i);
                if (i % 100 == 0) {
                    kept.add(buffer);
                } else if (close) {
                    buffer.close();
                }
            }
        } catch (OutOfMemoryError e) {
            report("out of memory", e.getMessage() + " with " + kept.size() + " buffers open");
        } finally {
            stop.set(true);
            reader.join();
        }
        report("reader", failure.get() == null ? "ok" : failure.get().toString());
        long sum = 0;
        for (NativeBuffer buffer : kept) {
            sum += buffer.getLong(0);
            buffer.close();
        }
        report("kept", kept.size() + " sum=" + sum);
        report("after", counters());
    }

    private static String interruptedAllocation(long size) throws InterruptedException {
        AtomicReference<String> outcome = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        Thread thread = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                NativeBuffer buffer = NativeBuffer.allocateDirect(size);
                outcome.set("allocated " + buffer.capacity());
                buffer.close();
            } catch (OutOfMemoryError e) {
                outcome.set("OutOfMemoryError");
            }
            flag.set(Thread.currentThread().isInterrupted());
        });
        thread.start();
        thread.join();
        return outcome.get() + ", interrupted=" + flag.get();
    }

    static String counters() throws Exception {
        MemoryStats stats = LedgerBalanceExtension.Ledger.awaitEmpty();
        return "count=" + stats.count() + " capacity=" + stats.totalCapacity() + " reserved=" + stats.reservedMemory();
    }
}
