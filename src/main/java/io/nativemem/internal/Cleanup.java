package io.nativemem.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;

/**
 * Frees native memory exactly once: either explicitly ({@link #runExplicitly()}, from a
 * {@code close()}) or by the GC, when the watched object (a segment's scope, which every view
 * keeps reachable) became phantom-reachable and the {@link ReclaimQueue} hands the reference over.
 *
 * <p>Whichever comes first wins a compare-and-set; the other does nothing. A subclass must not
 * reference the watched object, or it would never become unreachable.
 */
public abstract class Cleanup extends PhantomReference<Object> {

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Cleanup.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through STATE
    private volatile int state;

    protected Cleanup(Object watched, ReclaimQueue queue) {
        super(watched, queue.referenceQueue());
        queue.add(this);
    }

    /**
     * Frees now, unless the GC or another caller already did.
     *
     * @return whether this call freed the memory
     */
    public final boolean runExplicitly() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            return false;
        }
        clear(); // its stripe in the queue lets go of it when it compacts
        free(false);
        return true;
    }

    /**
     * Frees now, for the one caller that may: a {@code close()} that the JDK's scope already made
     * exactly-once (it throws on a second close, and on a close from another thread of a confined
     * arena). The reference is cleared while {@code watched} is still strongly reachable from the
     * caller, so the GC can never have found it unreachable before, and never will: no
     * compare-and-set with the GC is needed, one atomic instruction less per arena.
     *
     * @param watched the object this reference watches, held by the caller
     */
    public final void runOnClose(Object watched) {
        retire(watched); // the state set for the compactions, which drop what ran
        free(false);
    }

    /**
     * Stops watching and counts as run, without freeing: the caller holds {@code watched}, so the
     * GC can never have found it unreachable. For {@link #runOnClose}, which frees next, and for a
     * GC-managed block that moves from the scope of its allocating thread to a cohort, whose
     * memory another cleanup then owns.
     *
     * @param watched the object this reference watches, held by the caller
     */
    public final void retire(Object watched) {
        clear();
        Reference.reachabilityFence(watched);
        STATE.setRelease(this, 1);
    }

    /**
     * Called by the reclaim queue once the watched object is unreachable.
     *
     * @return the bytes freed, or -1 if an explicit close got there first
     */
    final long runByGc() {
        if (!STATE.compareAndSet(this, 0, 1)) {
            return -1;
        }
        return free(true);
    }

    /** Whether the memory has been freed (or is being freed). */
    public final boolean isDone() {
        return state != 0;
    }

    /** Frees the memory and returns its reservation; runs at most once. Returns the bytes freed. */
    protected abstract long free(boolean byGc);
}
