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
 * The reclaim queue holds four cleanups, oldest first: ran, live, ran, live. One thread registers
 * a fifth (what every new arena and GC-managed buffer does) while another sweeps (what a
 * registration does when its stripe's array is full). The new cleanup and both older live ones
 * must stay registered: one that falls out of the arrays is dropped by the GC without running,
 * and its memory leaks. The newest is live either way, so the registration drops nothing and the
 * sweep drops both that ran, whatever the stripes.
 */
@JCStressTest
@Description("A registration races a sweep of the reclaim queue")
@Outcome(id = "true, 3, 0", expect = ACCEPTABLE, desc = "the new cleanup and every live one kept, both that ran dropped")
@Outcome(expect = FORBIDDEN, desc = "a live cleanup lost, or one that ran kept")
@State
public class ReclaimListRacesSweep {

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
    private Marker added;

    public ReclaimListRacesSweep() {
        new Marker(watched, queue).runExplicitly();
        new Marker(watched, queue);
        new Marker(watched, queue).runExplicitly();
        new Marker(watched, queue);
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
        r.r2 = (int) list.stream().filter(c -> !c.isDone()).count();
        r.r3 = (int) list.stream().filter(Cleanup::isDone).count();
    }
}
