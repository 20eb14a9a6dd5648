package io.nativemem.jcstress;

import io.nativemem.internal.Cohort;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJI_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A sealed cohort of three real 64-byte blocks: {@code c} closed already, {@code a} and {@code b}
 * open. One thread closes {@code a} while the reclaimer frees {@code b}, which the GC found
 * unreachable while open. Whichever comes last leaves no open member: the cohort's arena must be
 * closed (so that {@code c} and {@code a} are freed) and every block freed exactly once.
 */
@JCStressTest
@Description("closing the last open member of a cohort races the GC's free of its other open member")
@Outcome(id = "0, 3, 0", expect = ACCEPTABLE, desc = "all three blocks freed once; the arena closed")
@Outcome(expect = FORBIDDEN, desc = "a block freed twice or never, or the arena left open")
@State
public class LastCloseRacesGcFreeOfMate {

    private final CohortBlocks blocks = new CohortBlocks();
    // The owners the GC watches: held here, so only the explicit enqueue below hands one over.
    private final Object ownerA = new Object();
    private final Object ownerB = new Object();
    private final Object ownerC = new Object();
    private final Cohort.Member a;
    private final Cohort.Member b;

    public LastCloseRacesGcFreeOfMate() {
        a = blocks.admit(ownerA);
        b = blocks.admit(ownerB);
        Cohort.Member c = blocks.admit(ownerC);
        blocks.cohort.stressSeal();
        blocks.cohort.memberClosed(c); // one closed member waits for the arena's close
        b.enqueue(); // the GC found b unreachable, open, and handed its reference over
    }

    @Actor
    public void close() {
        blocks.cohort.memberClosed(a);
    }

    @Actor
    public void reclaimer() {
        blocks.queue.drain();
    }

    @Arbiter
    public void counters(JJI_Result r) {
        blocks.record(r);
    }
}
