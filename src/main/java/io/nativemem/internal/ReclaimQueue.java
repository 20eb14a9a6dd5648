package io.nativemem.internal;

import io.nativemem.internal.jfr.Jfr;
import io.nativemem.internal.jfr.ReclaimEvent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

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

    private static final VarHandle HEAD;
    /** Sweep the list after this many registrations, or twice the registrations left after the last sweep. */
    private static final int MIN_SWEEP_INTERVAL = 1024;
    /**
     * How often the reclaimer looks at the cohort that admits GC-managed blocks: one that admitted
     * nothing since the last look is sealed, and closed if all its members are, so the memory of
     * closed blocks returns to the limit within about twice this when allocations stop.
     */
    private static final long IDLE_CHECK_MILLIS = 100;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(ReclaimQueue.class, "head", Cleanup.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    // A list of every registered cleanup: a registered PhantomReference must stay strongly
    // reachable until it is enqueued, or the GC would drop it silently. Registering pushes with
    // one compare-and-set; a cleanup that ran is not unlinked at once but by the next sweep, so
    // closing an arena takes no lock (measured: a synchronized doubly-linked list cost 17 ns per
    // arena, for the insertion and the removal).
    @SuppressWarnings("unused") // accessed through HEAD
    private volatile Cleanup head;
    private final AtomicBoolean sweeping = new AtomicBoolean();
    // Racy on purpose: only decides when to sweep.
    private int registeredSinceSweep;
    private int sweepInterval = MIN_SWEEP_INTERVAL;
    private volatile long harvestedEpoch;

    /** A queue served by a daemon thread named {@code threadName}, or by nobody when it is {@code null}. */
    private ReclaimQueue(String threadName) {
        if (threadName != null) {
            Thread thread = new Thread(this::serve, threadName);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** The queue of every block and arena the runtime allocates, served by the reclaimer thread. */
    public static ReclaimQueue global() {
        return GLOBAL;
    }

    /**
     * A queue of its own that no thread serves: what the GC hands over waits until {@link #drain()}
     * runs it. For the unit and stress tests, which need a queue no other test touches (public
     * for the stress tests, which live outside this package; the package is not exported).
     */
    public static ReclaimQueue unserved() {
        return new ReclaimQueue(null);
    }

    ReferenceQueue<Object> referenceQueue() {
        return queue;
    }

    void add(Cleanup cleanup) {
        Cleanup first;
        do {
            first = head;
            cleanup.next = first;
        } while (!HEAD.compareAndSet(this, first, cleanup));
        if (++registeredSinceSweep >= sweepInterval) {
            sweep();
        }
    }

    /**
     * Unlinks the cleanups that already ran. Registrations only ever replace the head, so one
     * sweeper at a time may relink everything behind the head it started from with plain writes.
     * Runs by itself as registrations accumulate; public for the stress tests, which race it
     * against registrations.
     */
    public void sweep() {
        if (!sweeping.compareAndSet(false, true)) {
            return;
        }
        try {
            registeredSinceSweep = 0;
            int kept = 0;
            Cleanup previous = head;
            if (previous == null) {
                return;
            }
            for (Cleanup current = previous.next; current != null; current = current.next) {
                if (current.isDone()) {
                    previous.next = current.next;
                } else {
                    previous = current;
                    kept++;
                }
            }
            sweepInterval = Math.max(MIN_SWEEP_INTERVAL, 2 * kept);
        } finally {
            sweeping.set(false);
        }
    }

    /**
     * The cleanups the list holds now, newest first: every registered one that has not run, and
     * those that ran and no sweep has unlinked yet. Exact only while nothing registers or sweeps;
     * for tests.
     */
    public List<Cleanup> registered() {
        List<Cleanup> all = new ArrayList<>();
        for (Cleanup c = head; c != null; c = c.next) {
            all.add(c);
        }
        return all;
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
        private final ReclaimQueue queue;
        private final long epoch;

        Sentinel(Object unreachable, ReclaimQueue queue, long epoch) {
            super(unreachable, queue);
            this.queue = queue;
            this.epoch = epoch;
        }

        @Override
        protected long free(boolean byGc) {
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
            if (event == null && Jfr.started()) {
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
        long lastIdleCheck = System.nanoTime();
        for (;;) {
            try {
                Reference<?> first = queue.remove(IDLE_CHECK_MILLIS);
                if (first != null) {
                    drain(first, false);
                }
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; keep serving.
            }
            long now = System.nanoTime();
            if (now - lastIdleCheck >= IDLE_CHECK_MILLIS * 1_000_000L) {
                lastIdleCheck = now;
                try {
                    Cohort.flushIfIdle();
                } catch (RuntimeException | Error e) {
                    System.getLogger("io.nativemem").log(System.Logger.Level.ERROR, "Closing an idle cohort failed", e);
                }
            }
        }
    }
}
