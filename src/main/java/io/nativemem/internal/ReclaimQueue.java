package io.nativemem.internal;

import io.nativemem.internal.jfr.ReclaimEvent;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;

/**
 * The runtime's own cleaner: a {@link ReferenceQueue} of {@link Cleanup}s, drained by a daemon
 * thread and, when the limit is reached, by the allocating threads themselves.
 *
 * @apiNote {@code java.lang.ref.Cleaner} keeps its queue to itself, so an allocating thread could
 *     only wait for its thread to get round to freeing. Owning the queue lets a thread that needs
 *     room free what the GC has already found unreachable at once, which the JDK's {@code Bits}
 *     can do only through JDK-internal access to the Reference Handler.
 */
public final class ReclaimQueue {

    private static final ReclaimQueue GLOBAL = new ReclaimQueue("nativemem-reclaimer");

    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    private final Object lock = new Object();
    // Head of a doubly-linked list of live cleanups: a registered PhantomReference must stay
    // strongly reachable until it is enqueued, or the GC would drop it silently.
    private Cleanup head;
    private long live;
    private volatile long harvestedEpoch;

    private ReclaimQueue(String threadName) {
        Thread thread = new Thread(this::serve, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    public static ReclaimQueue global() {
        return GLOBAL;
    }

    ReferenceQueue<Object> referenceQueue() {
        return queue;
    }

    void add(Cleanup cleanup) {
        synchronized (lock) {
            cleanup.next = head;
            if (head != null) {
                head.previous = cleanup;
            }
            head = cleanup;
            live++;
        }
    }

    void remove(Cleanup cleanup) {
        synchronized (lock) {
            if (cleanup.previous == null && head != cleanup) {
                return; // not in the list
            }
            if (cleanup.previous != null) {
                cleanup.previous.next = cleanup.next;
            } else {
                head = cleanup.next;
            }
            if (cleanup.next != null) {
                cleanup.next.previous = cleanup.previous;
            }
            cleanup.previous = null;
            cleanup.next = null;
            live--;
        }
    }

    /** How many cleanups are registered and not yet run. */
    public long live() {
        synchronized (lock) {
            return live;
        }
    }

    /**
     * Registers a sentinel that the next GC will find unreachable: once it comes out of the
     * queue, {@link #harvestedEpoch()} is {@code epoch}.
     */
    void watchForGc(long epoch) {
        new Sentinel(new Object(), this, epoch);
    }

    /** The epoch of the last GC sentinel that came out of the queue. */
    long harvestedEpoch() {
        return harvestedEpoch;
    }

    private static final class Sentinel extends Cleanup {
        private final long epoch;

        Sentinel(Object unreachable, ReclaimQueue queue, long epoch) {
            super(unreachable, queue);
            this.epoch = epoch;
        }

        @Override
        protected long free(boolean byGc) {
            ReclaimQueue queue = ReclaimQueue.global();
            if (queue.harvestedEpoch < epoch) {
                queue.harvestedEpoch = epoch;
            }
            return -1; // a marker, not a block: not counted as freed
        }
    }

    /**
     * Frees, on the calling thread, everything the GC has already handed over.
     *
     * @return how many cleanups this call ran
     */
    public int drain() {
        return drain(null, true);
    }

    /** Runs {@code first} (if any) and everything else already queued, as one reclaim batch. */
    private int drain(Reference<?> first, boolean onAllocatingThread) {
        int freed = 0;
        long bytes = 0;
        ReclaimEvent event = null;
        for (Reference<?> ref = first != null ? first : queue.poll(); ref != null; ref = queue.poll()) {
            if (event == null) {
                event = new ReclaimEvent();
                event.begin();
            }
            long released = runSafely((Cleanup) ref);
            if (released >= 0) {
                freed++;
                bytes += released;
            }
        }
        if (event != null && freed > 0 && event.shouldCommit()) {
            event.blocks = freed;
            event.bytes = bytes;
            event.byAllocatingThread = onAllocatingThread;
            event.commit();
        }
        return freed;
    }

    private static long runSafely(Cleanup cleanup) {
        try {
            return cleanup.runByGc();
        } catch (RuntimeException | Error e) {
            // A failing cleanup must not stop the others: report and go on.
            System.getLogger("io.nativemem").log(System.Logger.Level.ERROR, "A native memory cleanup failed", e);
            return -1;
        }
    }

    private void serve() {
        for (;;) {
            try {
                drain(queue.remove(), false);
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; keep serving.
            }
        }
    }
}
