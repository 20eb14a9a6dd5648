package io.nativemem.internal;

import io.nativemem.internal.jfr.Jfr;
import io.nativemem.internal.jfr.ReclaimEvent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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

    /** The slots of a stripe's array when it is created, and the fewest it shrinks back to. */
    private static final int MIN_SLOTS = 256;
    /**
     * How many looks in a row (one every {@link #IDLE_CHECK_MILLIS}) must find a stripe idle before
     * its array shrinks: an allocating thread that waits out a full GC (up to a few hundred ms with
     * a million references to process) is not idle, and shrinking under it made its array regrow
     * after every such GC (GC-managed 64 B buffers left to the GC: 7 bytes of heap more per
     * buffer, 271 +- 23 against 264 when the buffers cost 264).
     */
    static final int IDLE_LOOKS_BEFORE_TRIM = 10;
    /**
     * How often the reclaimer looks at the cohort that admits GC-managed blocks: one that admitted
     * nothing since the last look is sealed, and closed if all its members are, so the memory of
     * closed blocks returns to the limit within about twice this when allocations stop.
     */
    private static final long IDLE_CHECK_MILLIS = 100;
    /**
     * Registration stripes: a power of two, four per processor, 8 to 64. Threads are spread over
     * them by a hash of their id, so two threads registering at once rarely share one; with one
     * list head for the process, every registration moved its cache line between the cores.
     */
    static final int STRIPES = Math.clamp(Integer.highestOneBit(4 * Runtime.getRuntime().availableProcessors() - 1) << 1, 8, 64);
    private static final int STRIPE_SHIFT = Long.SIZE - Integer.numberOfTrailingZeros(STRIPES);
    // After the constants its constructor uses.
    private static final ReclaimQueue GLOBAL = new ReclaimQueue("nativemem-reclaimer");

    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    // Every registered cleanup, in the array of the registering thread's stripe: a registered
    // PhantomReference must stay strongly reachable until it is enqueued, or the GC would drop it
    // silently. Arrays and not linked lists: the GC walks a chain of a million references one link
    // at a time on one worker, and an array in parallel slices (GC-managed 64 B buffers left to the
    // GC: young pauses of 161 ms on average with a list, 82 ms with arrays; see Stripe). A cleanup
    // that ran stays until its stripe compacts, so closing an arena takes no lock.
    private final Stripe[] stripes = new Stripe[STRIPES];
    private volatile long harvestedEpoch;
    /** Run by the serving thread about every {@link #IDLE_CHECK_MILLIS}, after the idle cohorts. */
    private final List<Runnable> periodic = new CopyOnWriteArrayList<>();

    /** A queue served by a daemon thread named {@code threadName}, or by nobody when it is {@code null}. */
    private ReclaimQueue(String threadName) {
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new Stripe();
        }
        if (threadName != null) {
            Thread thread = new Thread(this::serve, threadName);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * Has the serving thread run {@code task} about every {@link #IDLE_CHECK_MILLIS} from now on;
     * what it throws is logged. For work that no allocating thread can be counted on to do.
     */
    public void runPeriodically(Runnable task) {
        periodic.add(task);
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
        stripes[stripeOf(Thread.currentThread())].add(cleanup);
    }

    /**
     * The stripe of a thread: the top bits of its id times 2^64 / golden ratio, which sends
     * consecutive ids (threads started one after another) to stripes far apart. A hash and not a
     * thread-local, so a million virtual threads share the same few stripes.
     */
    static int stripeOf(Thread thread) {
        return (int) ((thread.threadId() * 0x9E3779B97F4A7C15L) >>> STRIPE_SHIFT);
    }

    /**
     * Drops the cleanups that already ran, in every stripe. Runs by itself as a stripe's array
     * fills up; public for the stress tests, which race it against registrations.
     */
    public void sweep() {
        for (Stripe stripe : stripes) {
            stripe.compact();
        }
    }

    /**
     * Shrinks the arrays of the stripes where nothing registered for the last
     * {@link #IDLE_LOOKS_BEFORE_TRIM} calls (see {@link Stripe#trimIfIdle}): called by the
     * reclaimer ten times a second.
     */
    void trimIdleStripes() {
        for (Stripe stripe : stripes) {
            stripe.trimIfIdle();
        }
    }

    /** The slots of all the stripes' arrays: for tests. */
    int capacity() {
        int slots = 0;
        for (Stripe stripe : stripes) {
            slots += stripe.capacity();
        }
        return slots;
    }

    /**
     * The cleanups the stripes hold now, stripe by stripe, newest first in each: every registered
     * one that has not run, and those that ran and no compaction has dropped yet. Exact only while
     * nothing registers or sweeps; for tests.
     */
    public List<Cleanup> registered() {
        List<Cleanup> all = new ArrayList<>();
        for (Stripe stripe : stripes) {
            stripe.collect(all);
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

    /** 128 bytes before a stripe's fields, so that no other object's fields share their cache lines. */
    private abstract static class PaddedBefore {
        long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
    }

    /** A stripe's fields: they come after the superclass's padding and before the subclass's. */
    private abstract static class StripeFields extends PaddedBefore {
        static final VarHandle LOCK;

        static {
            try {
                LOCK = MethodHandles.lookup().findVarHandle(StripeFields.class, "lock", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /**
         * 1 while a thread works on the fields below: taken with one compare-and-set and let go
         * with a release store, where a monitor takes two compare-and-sets.
         */
        @SuppressWarnings("unused") // through LOCK
        volatile int lock;
        // Guarded by lock: the registered cleanups in slots[0, size), oldest first.
        Cleanup[] slots = new Cleanup[MIN_SLOTS];
        int size;
        /** Registrations so far, wrapping: for {@link Stripe#trimIfIdle}. */
        int registrations;
        int registrationsAtLastLook;
        /** Looks in a row that found no registration since the one before. */
        int idleLooks;
    }

    /**
     * One registration array, padded on both sides onto cache lines of its own (its lock word too).
     * A cleanup that ran is dropped when its stripe fills up and compacts, or at once when it is the
     * newest of its stripe as the next one registers: an arena closed before the next one registers
     * (the common case, try-with-resources) leaves straight away. The array doubles when a
     * compaction keeps more than half of it, so each registration pays for a constant share of the
     * compactions, and shrinks only once its stripe is idle ({@link #trimIfIdle}): shrinking as
     * soon as a compaction kept little made the array of GC-managed blocks, whose live count swings
     * with each cohort, shrink and grow again all the time (8 bytes of heap per buffer).
     */
    private static final class Stripe extends StripeFields {
        long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

        private void lock() {
            for (int spins = 0; !LOCK.compareAndSet(this, 0, 1); spins++) {
                if (spins < 64) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield(); // a compaction of a large array may take a while
                }
            }
        }

        private void unlock() {
            LOCK.setRelease(this, 0);
        }

        void add(Cleanup cleanup) {
            lock();
            try {
                addLocked(cleanup);
            } finally {
                unlock();
            }
        }

        private void addLocked(Cleanup cleanup) {
            Cleanup[] s = slots;
            int n = size;
            while (n > 0 && s[n - 1].isDone()) {
                s[--n] = null;
            }
            if (n == s.length) {
                size = n;
                compactLocked();
                s = slots;
                n = size;
            }
            s[n] = cleanup;
            size = n + 1;
            registrations++;
        }

        void compact() {
            lock();
            try {
                compactLocked();
            } finally {
                unlock();
            }
        }

        /** Drops the cleanups that ran; doubles the array if it is still more than half full. */
        private void compactLocked() {
            Cleanup[] s = slots;
            int n = size;
            int kept = 0;
            for (int i = 0; i < n; i++) {
                Cleanup c = s[i];
                if (!c.isDone()) {
                    s[kept++] = c;
                }
            }
            Arrays.fill(s, kept, n, null);
            size = kept;
            if (kept > s.length / 2) {
                slots = Arrays.copyOf(s, s.length * 2);
            }
        }

        /**
         * When nothing registered here for {@link #IDLE_LOOKS_BEFORE_TRIM} looks in a row, compacts
         * and shrinks the array to two to four times what it keeps (at least 256 slots): a burst's
         * array goes about a second after the burst is over.
         */
        void trimIfIdle() {
            lock();
            try {
                trimIfIdleLocked();
            } finally {
                unlock();
            }
        }

        private void trimIfIdleLocked() {
            if (registrations != registrationsAtLastLook) {
                registrationsAtLastLook = registrations;
                idleLooks = 0;
                return;
            }
            if (++idleLooks < IDLE_LOOKS_BEFORE_TRIM) {
                return;
            }
            if (slots.length == MIN_SLOTS) {
                return;
            }
            compactLocked();
            int fit = Math.max(MIN_SLOTS, Integer.highestOneBit(Math.max(1, size)) << 2);
            if (fit < slots.length) {
                slots = Arrays.copyOf(slots, fit);
            }
        }

        int capacity() {
            lock();
            try {
                return slots.length;
            } finally {
                unlock();
            }
        }

        void collect(List<Cleanup> all) {
            lock();
            try {
                for (int i = size - 1; i >= 0; i--) {
                    all.add(slots[i]);
                }
            } finally {
                unlock();
            }
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
                for (Runnable task : periodic) {
                    try {
                        task.run();
                    } catch (RuntimeException | Error e) {
                        System.getLogger("io.nativemem").log(System.Logger.Level.ERROR, "A periodic reclaim task failed", e);
                    }
                }
                trimIdleStripes();
            }
        }
    }
}
