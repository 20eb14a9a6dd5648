package io.nativemem.forked;

import io.nativemem.LeakReport;
import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import io.nativemem.internal.Faults;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs with -Dnativemem.faultInjection=true: makes each step of the pipeline fail in turn and
 * prints, for each, what the caller saw and the ledger afterwards.
 */
public final class FaultInjectionProbe {

    interface Step {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        Path file = Files.write(Files.createTempFile("faults", ".bin"), new byte[3 * 4096]);
        try {
            attempt("malloc NULL", Faults.Point.ALLOCATE, () -> {
                try (NativeArena arena = NativeArena.ofConfined()) {
                    return arena.allocate(10_000, 8);
                }
            });
            attempt("slab malloc NULL", Faults.Point.ALLOCATE, () -> {
                try (NativeArena arena = NativeArena.ofConfined()) {
                    return arena.allocate(100, 8);
                }
            });
            attempt("aligned slab malloc NULL", Faults.Point.ALLOCATE, () -> {
                try (NativeArena arena = NativeArena.ofShared()) {
                    Faults.arm(Faults.Point.ALLOCATE, 0); // a first slab, then a second that cannot be had
                    arena.allocate(64, 16);
                    Faults.arm(Faults.Point.ALLOCATE, 1);
                    return arena.allocate(100, 4096);
                }
            });
            attempt("posix_memalign NULL", Faults.Point.ALLOCATE, () -> {
                try (NativeArena arena = NativeArena.ofShared()) {
                    return arena.allocate(100, 8192);
                }
            });
            attempt("calloc NULL", Faults.Point.ALLOCATE, () -> NativeBuffer.allocateDirect(1 << 20));
            attempt("arena wrap OOM", Faults.Point.WRAP, () -> {
                try (NativeArena arena = NativeArena.ofConfined()) {
                    return arena.allocateBuffer(64);
                }
            });
            attempt("direct wrap OOM", Faults.Point.WRAP, () -> NativeBuffer.allocateDirect(64));
            attempt("mmap fails", Faults.Point.MAP, () -> {
                try (NativeArena arena = NativeArena.ofConfined()) {
                    return arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 4096);
                }
            });
            attempt("munmap fails", Faults.Point.UNMAP, () -> {
                NativeArena arena = NativeArena.ofConfined();
                arena.map(file, FileChannel.MapMode.READ_ONLY, 0, 4096);
                arena.map(file, FileChannel.MapMode.READ_ONLY, 4096, 4096);
                arena.allocate(500, 8);
                try {
                    arena.close();
                    return "closed";
                } finally {
                    System.out.println("  munmap fails: arena alive after close=" + arena.scope().isAlive());
                }
            });
            afterFreeFailureInTheReclaimer();
            throwingLeakListener();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void attempt(String name, Faults.Point point, Step step) {
        Faults.arm(point, 1);
        String outcome;
        try {
            outcome = "no failure: " + step.run();
        } catch (Throwable t) {
            outcome = t.getClass().getSimpleName() + ": " + t.getMessage();
        }
        Faults.arm(point, 0);
        System.out.println(name + " -> " + outcome + " | " + counters());
    }

    private static String counters() {
        MemoryStats s = NativeMemory.stats();
        return "count=" + s.count() + " capacity=" + s.totalCapacity() + " mapped=" + s.mappedCount();
    }

    /** A cleanup throws after freeing, on the reclaimer thread: the others must still be freed. */
    private static void afterFreeFailureInTheReclaimer() throws InterruptedException {
        Faults.arm(Faults.Point.AFTER_FREE, 1);
        for (int i = 0; i < 10; i++) {
            NativeBuffer.allocateDirect(1000);
        }
        awaitEmpty();
        Faults.arm(Faults.Point.AFTER_FREE, 0);
        NativeBuffer.allocateDirect(1000);
        awaitEmpty();
        System.out.println("cleanup throws after free -> reclaimer still serving | " + counters());
    }

    /** A leak listener throws: the arena is freed anyway and later leaks are still reported. */
    private static void throwingLeakListener() throws InterruptedException {
        java.util.concurrent.CountDownLatch called = new java.util.concurrent.CountDownLatch(1);
        NativeMemory.setLeakListener(report -> {
            called.countDown();
            throw new IllegalStateException("listener failed on purpose");
        });
        leak();
        awaitEmpty();
        // The report follows the freeing: wait for it before the listener is replaced.
        called.await(10, java.util.concurrent.TimeUnit.SECONDS);
        List<LeakReport> seen = new CopyOnWriteArrayList<>();
        NativeMemory.setLeakListener(seen::add);
        leak();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (seen.isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(5);
        }
        System.out.println("leak listener throws -> later leaks reported=" + seen.size() + " | " + counters());
    }

    private static void leak() {
        NativeArena.ofConfined().allocate(100, 8);
    }

    private static void awaitEmpty() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (NativeMemory.stats().count() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(5);
        }
    }
}
