package io.nativemem.jcstress;

import io.nativemem.internal.Cleanup;
import io.nativemem.internal.ReclaimQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZII_Result;

import java.util.List;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The reclaim queue's list holds four cleanups, newest first: ran, live, ran, live (an arena was
 * closed just before the next one registers, as try-with-resources does). One thread registers a
 * fifth, which drops the head that ran; another sweeps, starting from that same head. The new
 * cleanup and both live ones must stay linked (one that falls off is dropped by the GC without
 * running, and its memory leaks), and both that ran end up unlinked whichever goes first, when the
 * registering thread's stripe is the one the four went to; on another stripe, the sweep keeps
 * the head it started from.
 */
@JCStressTest
@Description("A registration dropping the cleanups that ran at the head races a sweep")
@Outcome(id = "true, 2, 0", expect = ACCEPTABLE, desc = "the new cleanup and every live one kept, both that ran unlinked")
@Outcome(id = "true, 2, 1", expect = ACCEPTABLE, desc = "registered on another stripe: the sweep keeps the head it started from")
@Outcome(expect = FORBIDDEN, desc = "a live cleanup lost, or one that ran kept")
@State
public class RegistrationDropsRanHeadRacesSweep {

    /** Frees nothing: only its place on the list matters here. */
    static final class Marker extends Cleanup {
        Marker(Object watched, ReclaimQueue queue) {
            super(watched, queue);
        }

        @Override
        protected long free(boolean byGc) {
            return 0;
        }
    }

    private final ReclaimQueue queue = ReclaimQueue.unserved();
    private final Object watched = new Object(); // held: no GC hands anything over here
    private final Marker ran;
    private Marker added;

    public RegistrationDropsRanHeadRacesSweep() {
        new Marker(watched, queue);
        new Marker(watched, queue).runExplicitly();
        new Marker(watched, queue);
        ran = new Marker(watched, queue);
        ran.runExplicitly(); // the head: closed after it registered, before anything else did
    }

    @Actor
    public void register() {
        added = new Marker(watched, queue);
    }

    @Actor
    public void sweep() {
        queue.sweep();
    }

    @Arbiter
    public void list(ZII_Result r) {
        List<Cleanup> list = queue.registered();
        r.r1 = list.contains(added);
        r.r2 = (int) list.stream().filter(c -> c != added && !c.isDone()).count();
        r.r3 = (int) list.stream().filter(Cleanup::isDone).count();
    }
}
