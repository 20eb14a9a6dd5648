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
 * The reclaim queue holds four cleanups, oldest first: live, ran, live, ran (an arena was closed
 * just before the next one registers, as try-with-resources does). One thread registers a fifth,
 * which drops the newest when it is in its own stripe and ran; another sweeps, which drops every
 * cleanup that ran. The new cleanup and both live ones must stay registered (one that falls out is
 * dropped by the GC without running, and its memory leaks), and both that ran end up dropped
 * whichever goes first and whatever the stripes.
 */
@JCStressTest
@Description("A registration dropping the newest cleanup, which ran, races a sweep")
@Outcome(id = "true, 2, 0", expect = ACCEPTABLE, desc = "the new cleanup and every live one kept, both that ran dropped")
@Outcome(expect = FORBIDDEN, desc = "a live cleanup lost, or one that ran kept")
@State
public class RegistrationDropsRanHeadRacesSweep {

    /** Frees nothing: only its place in the queue matters here. */
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
        ran.runExplicitly(); // the newest: closed after it registered, before anything else did
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
