package io.nativemem.internal;

import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GC trigger on its own, with a private reclaim queue that only the test drains: the harvest of
 * a GC arrives exactly when the test says so. This JVM honours System.gc() (no
 * -XX:+DisableExplicitGC; ChurnTest covers that flag in JVMs of their own).
 */
class GcTriggerTest {

    @Test
    void aRequestedGcCollects() {
        GcTrigger trigger = new GcTrigger(ReclaimQueue.unserved(), GcTrigger.HARVEST_PATIENCE_NANOS);
        WeakReference<Object> garbage = new WeakReference<>(new Object());
        assertTrue(trigger.request(false));
        assertTrue(garbage.refersTo(null), "the GC ran");
    }

    @Test
    void noSecondGcUntilTheFirstOnesHarvestArrivedUnlessForced() throws Exception {
        ReclaimQueue queue = ReclaimQueue.unserved();
        GcTrigger trigger = new GcTrigger(queue, TimeUnit.SECONDS.toNanos(60));
        assertTrue(trigger.request(false));
        assertFalse(trigger.request(false), "the first GC's blocks are still on their way");
        WeakReference<Object> garbage = new WeakReference<>(new Object());
        assertTrue(trigger.request(true), "forced");
        assertTrue(garbage.refersTo(null), "the forced GC ran");
        // The reference handler queues each GC's sentinel; draining the queue harvests it.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (queue.harvestedEpoch() < 2 && System.nanoTime() < deadline) {
            queue.drain();
            Thread.sleep(5);
        }
        assertEquals(2, queue.harvestedEpoch(), "one sentinel per GC requested");
        assertTrue(trigger.request(false), "harvested: a new GC is worth asking for");
    }

    @Test
    void aHarvestThatTakesLongerThanThePatienceNoLongerHoldsBackTheNextGc() throws Exception {
        GcTrigger trigger = new GcTrigger(ReclaimQueue.unserved(), TimeUnit.MILLISECONDS.toNanos(1));
        assertTrue(trigger.request(false));
        Thread.sleep(20);
        assertTrue(trigger.request(false), "nobody drains this queue, but the patience ran out");
    }
}
