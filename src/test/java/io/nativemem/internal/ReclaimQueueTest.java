package io.nativemem.internal;

import io.nativemem.testing.CapturedLog;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reclaim queue on its own: private queues that no thread serves, real GCs, cleanups that
 * count what they free instead of freeing memory.
 */
class ReclaimQueueTest {

    /** Counts its runs in a shared tally; remembers how it was run. */
    private static final class Counted extends Cleanup {
        private final int id;
        private final Tally tally;
        volatile boolean byGc;

        Counted(Object watched, ReclaimQueue queue, int id, Tally tally) {
            super(watched, queue);
            this.id = id;
            this.tally = tally;
        }

        @Override
        protected long free(boolean byGc) {
            this.byGc = byGc;
            tally.ran(id, byGc);
            if (id < 0) {
                throw new IllegalStateException("cleanup " + id + " fails on purpose");
            }
            return 100;
        }
    }

    private static final class Tally {
        final Set<Integer> ran = ConcurrentHashMap.newKeySet();
        final AtomicInteger runs = new AtomicInteger();
        final AtomicInteger twice = new AtomicInteger();
        final AtomicInteger byGc = new AtomicInteger();

        void ran(int id, boolean gc) {
            runs.incrementAndGet();
            if (!ran.add(id)) {
                twice.incrementAndGet();
            }
            if (gc) {
                byGc.incrementAndGet();
            }
        }
    }

    private static int drainUntil(ReclaimQueue queue, int expected) throws InterruptedException {
        int drained = 0;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (drained < expected && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(5);
            drained += queue.drain();
        }
        return drained;
    }

    @Test
    void onlyTheQueueHoldsItsCleanupsUntilTheGcHandsThemOverAndEachRunsOnce() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        for (int i = 0; i < 100; i++) {
            new Counted(new Object(), queue, i, tally); // neither the cleanup nor its object is kept here
        }
        assertEquals(100, drainUntil(queue, 100), "every cleanup handed over: without the queue's list, "
                + "the GC would have dropped the unreachable references silently");
        assertEquals(100, tally.ran.size());
        assertEquals(0, tally.twice.get());
        assertEquals(100, tally.byGc.get());
        System.gc();
        assertEquals(0, queue.drain(), "nothing runs twice");
    }

    @Test
    void aCleanupRunExplicitlyIsNeverRunByTheGc() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object();
        Counted cleanup = new Counted(watched, queue, 1, tally);
        assertTrue(cleanup.runExplicitly());
        assertFalse(cleanup.runExplicitly());
        assertTrue(cleanup.isDone());
        watched = null;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, queue.drain(), "cleared when run explicitly: the GC has nothing to hand over");
        cleanup.enqueue(); // and if it were handed over anyway, it would not run again
        assertEquals(0, queue.drain());
        assertEquals(1, tally.runs.get());
        assertFalse(cleanup.byGc);
    }

    @Test
    void aCleanupRunOnCloseIsNeverHandedOverByTheGcAndIsSweptAway() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object();
        Counted closed = new Counted(watched, queue, 1, tally);
        new Counted(new Object(), queue, 2, tally); // registered after it: the newest, so only a compaction drops the other
        closed.runOnClose(watched);
        assertTrue(closed.isDone());
        assertFalse(closed.byGc);
        watched = null;
        assertEquals(1, drainUntil(queue, 2), "only the other one, whose object nobody held");
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
            assertEquals(0, queue.drain());
        }
        assertEquals(1, tally.ran.stream().filter(id -> id == 1).count());
        assertEquals(2, tally.runs.get());
        queue.sweep();
        assertFalse(queue.registered().contains(closed), "dropped by the sweep");
    }

    @Test
    void aSweepUnlinksTheCleanupsThatRanAndKeepsEveryOther() {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        List<Object> watched = new ArrayList<>();
        List<Counted> cleanups = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            watched.add(new Object());
            cleanups.add(new Counted(watched.get(i), queue, i, tally));
        }
        for (int i = 0; i < 10; i += 2) {
            cleanups.get(i).runExplicitly();
        }
        assertEquals(10, queue.registered().size(), "running a cleanup does not drop it at once");
        queue.sweep();
        assertEquals(List.of(cleanups.get(9), cleanups.get(7), cleanups.get(5), cleanups.get(3), cleanups.get(1)),
                queue.registered());
        cleanups.forEach(Cleanup::runExplicitly);
        queue.sweep();
        assertEquals(List.of(), queue.registered());
        assertEquals(10, tally.runs.get());
    }

    @Test
    void aCleanupThatRanIsDroppedWhenTheNextOneRegistersIfItIsTheNewest() {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object();
        for (int i = 0; i < 5000; i++) {
            new Counted(watched, queue, i, tally).runExplicitly(); // as arenas that are closed at once
        }
        assertEquals(1, queue.registered().size(), "only the last one, which nothing registered after");
        assertEquals(5000, tally.runs.get());
    }

    @Test
    void registeringCompactsByItselfSoCleanupsThatRanDoNotPileUp() {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object();
        List<Counted> live = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            Counted c = new Counted(watched, queue, i, tally);
            if (i % 100 == 0) {
                live.add(c); // one in a hundred stays: the others are never the newest when they run
            } else {
                c.runExplicitly();
            }
            if (i % 100 == 50) {
                live.get(live.size() - 1).runExplicitly(); // and the live ones run too, out of order
                live.remove(live.size() - 1);
                live.add(new Counted(watched, queue, 1_000_000 + i, tally));
            }
        }
        int left = queue.registered().size();
        assertTrue(left <= 2 * live.size() + 256, left + " registered for " + live.size() + " live");
        assertTrue(queue.registered().containsAll(live), "a live cleanup was dropped");
    }

    @Test
    void anIdleStripeLetsTheArrayOfABurstGoAndKeepsWhatIsLive() {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object();
        int empty = queue.capacity();
        List<Counted> burst = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            burst.add(new Counted(watched, queue, i, tally));
        }
        int grown = queue.capacity();
        assertTrue(grown >= empty + 100_000, "grew to hold the burst: " + grown);
        List<Counted> live = burst.subList(50_000, 50_100);
        burst.subList(0, 50_000).forEach(Cleanup::runExplicitly);
        burst.subList(50_100, 100_000).forEach(Cleanup::runExplicitly);
        queue.trimIdleStripes(); // the first look only notes that registrations happened
        for (int look = 1; look < ReclaimQueue.IDLE_LOOKS_BEFORE_TRIM; look++) {
            queue.trimIdleStripes();
            assertEquals(grown, queue.capacity(), "not idle for long enough after " + look + " idle looks");
        }
        queue.trimIdleStripes();
        assertTrue(queue.capacity() < empty + 1000, "shrank once idle: " + queue.capacity());
        assertEquals(live.size(), queue.registered().size());
        assertTrue(queue.registered().containsAll(live), "a live cleanup was dropped");
        new Counted(watched, queue, 999_999, tally); // registrations go on after the shrink
        assertEquals(live.size() + 1, queue.registered().size());
    }

    @Test
    void threadsRegisteringAtOnceLoseNoCleanupWhateverTheirStripes() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        Object watched = new Object(); // held: only explicit runs here
        int threads = 2 * ReclaimQueue.STRIPES; // more threads than stripes: some share one
        int each = 5000;
        List<List<Counted>> kept = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            List<Counted> mine = new ArrayList<>();
            kept.add(mine);
            int base = t * each;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    Counted c = new Counted(watched, queue, base + i, tally);
                    if (i % 2 == 0) {
                        c.runExplicitly(); // as a closed arena: the compactions drop these meanwhile
                    } else {
                        mine.add(c);
                    }
                }
            }));
        }
        start.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        Set<Cleanup> registered = Collections.newSetFromMap(new IdentityHashMap<>());
        registered.addAll(queue.registered());
        for (List<Counted> mine : kept) {
            for (Counted c : mine) {
                assertTrue(registered.contains(c), "a live cleanup fell off its stripe's list");
            }
        }
        queue.sweep();
        long live = queue.registered().stream().filter(c -> !c.isDone()).count();
        assertEquals((long) threads * each / 2, live);
        assertEquals(live, queue.registered().size(), "the sweep dropped every cleanup that ran");
    }

    @Test
    void aCleanupThatThrowsIsLoggedAndTheOthersStillRun() {
        ReclaimQueue queue = ReclaimQueue.unserved();
        Tally tally = new Tally();
        List<Object> watched = List.of(new Object(), new Object(), new Object());
        List<Counted> cleanups = List.of(new Counted(watched.get(0), queue, 1, tally),
                new Counted(watched.get(1), queue, -1, tally), new Counted(watched.get(2), queue, 2, tally));
        cleanups.forEach(Cleanup::enqueue); // as the GC does
        try (CapturedLog log = CapturedLog.ofRuntime()) {
            assertEquals(2, queue.drain(), "the failed cleanup is not counted as freed");
            assertEquals(List.of("ERROR: A native memory cleanup failed"), log.messages());
        }
        assertEquals(3, tally.runs.get());
        assertTrue(cleanups.stream().allMatch(Cleanup::isDone));
    }

    @Test
    void aGcSentinelIsHarvestedAfterTheGcAndNotCountedAsFreed() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        queue.watchForGc(7);
        assertEquals(0, queue.harvestedEpoch());
        long deadline = System.nanoTime() + 5_000_000_000L;
        int drained = 0;
        while (queue.harvestedEpoch() != 7 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(5);
            drained += queue.drain();
        }
        assertEquals(7, queue.harvestedEpoch());
        assertEquals(0, drained);
    }
}
