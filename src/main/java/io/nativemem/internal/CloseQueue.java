package io.nativemem.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Closes that were handed off the thread that asked for them: the cohorts of GC-managed blocks
 * whose members are all closed, whose JDK shared arena must be closed (a handshake with every
 * thread, 30 to 55 us) before their blocks are freed. One daemon thread, {@value #THREAD_NAME},
 * started by the first hand-over, closes them for the process-wide ledger; a thread that needs
 * the memory back (the slow path of the ledger, {@code NativeMemory.stats()}) runs what is still
 * pending itself, and waits for a close under way, with {@link #runPending()}.
 *
 * <p>Handing over is one compare-and-set on the head of an intrusive stack, and an unpark of the
 * closer when the stack was empty: nothing is allocated. The closer takes the whole stack at once.
 *
 * <p>A close that fails (a cleanup that throws after freeing) is logged and the others go on, on
 * every thread: the closer never dies of one. A cohort whose arena the JDK refuses to close (a
 * downcall holds a view of a member) is dropped here and freed by the GC once unreachable, as it
 * would be on the caller's thread.
 */
public final class CloseQueue {

    /** The name of the one closer thread of the process. */
    public static final String THREAD_NAME = "nativemem-closer";

    private static final VarHandle HEAD;

    static {
        try {
            HEAD = MethodHandles.lookup().findVarHandle(CloseQueue.class, "head", Entry.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // After HEAD, which its constructor does not need, but a reader of this file does.
    private static final CloseQueue GLOBAL = new CloseQueue(true);

    /**
     * What waits in a queue: a close to run once. Intrusive, so that handing it over allocates
     * nothing (a {@code ConcurrentLinkedQueue} node is 24 bytes per close).
     */
    public abstract static class Entry {
        private Entry nextToClose;

        /**
         * Runs the close, exactly once, on the closer thread or on a thread that needs the memory.
         *
         * @return how many blocks it freed
         */
        protected abstract int runClose();
    }

    private final boolean served;
    @SuppressWarnings("unused") // accessed through HEAD
    private volatile Entry head;
    /**
     * Held while a batch taken from the stack is closed: a thread that runs the pending closes
     * takes it too, so once it holds it, every close handed over before has run.
     */
    private final ReentrantLock closing = new ReentrantLock();
    private volatile long closedBlocks; // written under closing
    private volatile Thread closer;

    private CloseQueue(boolean served) {
        this.served = served;
    }

    /** The queue of the process-wide ledger, served by the {@value #THREAD_NAME} thread. */
    public static CloseQueue global() {
        return GLOBAL;
    }

    /**
     * A queue that no thread serves: what is handed over waits until {@link #runPending()} runs
     * it. For tests, which then know exactly when a close happens.
     */
    public static CloseQueue unserved() {
        return new CloseQueue(false);
    }

    /** Hands {@code entry} over to be closed: by the closer thread, or by the next {@link #runPending()}. */
    void hand(Entry entry) {
        Entry first;
        do {
            first = head;
            entry.nextToClose = first;
        } while (!HEAD.compareAndSet(this, first, entry));
        // A closer that found the stack empty parks (or is about to: the permit keeps it awake);
        // one that is closing a batch looks again before it parks.
        if (first == null && served) {
            LockSupport.unpark(closer());
        }
    }

    /**
     * Runs every close handed over and not yet run, on the calling thread, after any close under
     * way on another thread has finished: once it returns, every close handed over before the
     * call has run. Cheap when nothing is pending (two volatile reads).
     *
     * @return how many blocks were freed meanwhile, by this thread or by the closes it waited for
     */
    public int runPending() {
        if (head == null && !closing.isLocked()) {
            return 0;
        }
        long before = closedBlocks;
        closing.lock();
        try {
            runBatches();
            return (int) Math.min(Integer.MAX_VALUE, closedBlocks - before);
        } finally {
            closing.unlock();
        }
    }

    /** Whether some close is handed over and has not finished; for tests. */
    public boolean hasPending() {
        return head != null || closing.isLocked();
    }

    /** Takes the stack and closes what it held, until it is empty; the caller holds {@link #closing}. */
    private void runBatches() {
        for (Entry batch = (Entry) HEAD.getAndSet(this, null); batch != null;
                batch = (Entry) HEAD.getAndSet(this, null)) {
            long freed = 0;
            for (Entry e = batch; e != null; ) {
                Entry next = e.nextToClose;
                e.nextToClose = null;
                freed += closeSafely(e);
                e = next;
            }
            closedBlocks += freed;
        }
    }

    private static int closeSafely(Entry entry) {
        try {
            return entry.runClose();
        } catch (RuntimeException | Error e) {
            // The memory is freed before anything that can throw (the fault points come after the
            // frees); a failing close must not stop the others, nor kill the closer thread.
            System.getLogger("io.nativemem").log(System.Logger.Level.ERROR,
                    "Closing GC-managed blocks failed on thread " + Thread.currentThread().getName(), e);
            return 0;
        }
    }

    /** The closer thread, started on the first call. */
    private Thread closer() {
        Thread thread = closer;
        return thread != null ? thread : startCloser();
    }

    private synchronized Thread startCloser() {
        Thread thread = closer;
        if (thread == null) {
            // Started by whichever thread closes first: it must not keep that thread's inheritable
            // thread-locals or context class loader (an application's, in a container) alive.
            thread = Thread.ofPlatform().name(THREAD_NAME).daemon(true).inheritInheritableThreadLocals(false)
                    .unstarted(this::serve);
            thread.setContextClassLoader(null);
            thread.start();
            closer = thread;
        }
        return thread;
    }

    private void serve() {
        for (;;) {
            if (head == null) {
                LockSupport.park(this);
                Thread.interrupted(); // nobody interrupts this thread on purpose; park must not spin
                continue;
            }
            try {
                runPending();
            } catch (RuntimeException | Error e) {
                // closeSafely catches everything a close throws; this is for the lock itself.
                System.getLogger("io.nativemem").log(System.Logger.Level.ERROR, "The closer thread failed", e);
            }
        }
    }
}
