package io.nativemem.micrometer;

import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nativemem.MemoryStats;
import io.nativemem.NativeArena;
import io.nativemem.NativeBuffer;
import io.nativemem.NativeMemory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The slow-path and lifecycle counters read what {@link NativeMemory#stats()} reads, and move with it. */
@ExtendWith(LedgerBalance.class)
class CountersTest {

    private static final long MIB = 1024 * 1024;

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void bindToAnEmptyLedger() {
        LedgerBalance.awaitEmpty();
        new NativeMemoryMetrics().bindTo(registry);
    }

    @Test
    void aReservationThatCannotFitWaitsThenFails() {
        Counters before = Counters.read(registry);
        try (NativeArena held = NativeArena.ofConfined(); NativeArena other = NativeArena.ofConfined()) {
            held.allocate(40 * MIB, 16);
            // 80 MiB under a 64 MiB limit while the first 40 stay reachable: the slow path asks for
            // GCs, waits about half a second, then gives up.
            assertThrows(OutOfMemoryError.class, () -> other.allocate(40 * MIB, 16));
        }
        Counters after = Counters.read(registry);

        assertEquals(Counters.of(NativeMemory.stats()), after);
        assertEquals(before.waited + 1, after.waited);
        assertTrue(after.waitedNanos > before.waitedNanos, after + " after " + before);
        assertEquals(before.failed + 1, after.failed);
        assertTrue(after.gcRequests > before.gcRequests, after + " after " + before);
        assertEquals(before.freedExplicitly + 1, after.freedExplicitly, "the 40 MiB block, when its arena closed");
    }

    @Test
    void aReservationThatWaitsForRoomGetsIt() throws InterruptedException {
        Counters before = Counters.read(registry);
        NativeArena held = NativeArena.ofShared();
        held.allocate(40 * MIB, 16);
        // Frees the 40 MiB as soon as this thread is seen waiting for them.
        Thread closer = Thread.ofPlatform().daemon().start(() -> {
            while (NativeMemory.stats().waitedReservations() == before.waited) {
                Thread.onSpinWait();
            }
            held.close();
        });
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocate(40 * MIB, 16);
        }
        closer.join();
        Counters after = Counters.read(registry);

        assertEquals(Counters.of(NativeMemory.stats()), after);
        assertEquals(before.waited + 1, after.waited);
        assertTrue(after.waitedNanos > before.waitedNanos, after + " after " + before);
        assertEquals(before.failed, after.failed);
        assertEquals(before.freedExplicitly + 2, after.freedExplicitly);
    }

    @Test
    void closingCountsAsFreedExplicitly() {
        Counters before = Counters.read(registry);
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocateBuffer(100);
            arena.allocateBuffer(200);
        }
        NativeBuffer.allocateDirect(300).close();
        // A closed GC-managed buffer of 64 KiB or less is freed when its cohort's scope is closed.
        LedgerBalance.await(() -> Counters.read(registry).freedExplicitly == before.freedExplicitly + 3,
                () -> "freed explicitly: " + Counters.read(registry).freedExplicitly);
        Counters after = Counters.read(registry);

        assertEquals(Counters.of(NativeMemory.stats()), after);
        assertEquals(before.freedExplicitly + 3, after.freedExplicitly);
        assertEquals(before.freedByGc, after.freedByGc);
    }

    @Test
    void anUnreachableBufferCountsAsFreedByTheGc() {
        Counters before = Counters.read(registry);
        allocateAndDrop();
        LedgerBalance.awaitEmpty();
        Counters after = Counters.read(registry);

        assertEquals(Counters.of(NativeMemory.stats()), after);
        assertEquals(before.freedByGc + 1, after.freedByGc);
        assertEquals(before.freedExplicitly, after.freedExplicitly);
    }

    /** Micrometer holds a function meter's state weakly: the meters must outlive the binder. */
    @Test
    void metersKeepReadingAfterTheBinderIsGone() {
        MeterRegistry own = new SimpleMeterRegistry();
        new NativeMemoryMetrics().bindTo(own);
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        try (NativeArena arena = NativeArena.ofConfined()) {
            arena.allocateBuffer(12_345);
            assertEquals(12_345, own.get("jvm.buffer.total.capacity").tag("id", "nativemem").gauge().value());
            arena.allocateBuffer(1);
            assertEquals(Counters.of(NativeMemory.stats()), Counters.read(own));
        }
        assertEquals(Counters.of(NativeMemory.stats()), Counters.read(own));
    }

    private static void allocateAndDrop() {
        NativeBuffer.allocateDirect(4096).putInt(0, 1);
    }

    /** Every counter of the binder, or of a snapshot, as one value to compare. */
    private record Counters(double waited, double waitedNanos, double failed, double gcRequests,
                            double freedByGc, double freedExplicitly) {

        static Counters read(MeterRegistry registry) {
            FunctionTimer wait = registry.get("nativemem.reservation.wait").functionTimer();
            return new Counters(wait.count(), wait.totalTime(TimeUnit.NANOSECONDS),
                    registry.get("nativemem.reservation.failures").functionCounter().count(),
                    registry.get("nativemem.gc.requests").functionCounter().count(),
                    registry.get("nativemem.blocks.freed").tag("cause", "gc").functionCounter().count(),
                    registry.get("nativemem.blocks.freed").tag("cause", "explicit").functionCounter().count());
        }

        static Counters of(MemoryStats stats) {
            return new Counters(stats.waitedReservations(), stats.waitedNanos(), stats.failedReservations(),
                    stats.gcRequests(), stats.freedByGc(), stats.freedExplicitly());
        }
    }
}
