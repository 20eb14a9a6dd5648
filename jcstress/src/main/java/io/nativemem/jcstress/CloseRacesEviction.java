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
 * A sealed cohort of two real 64-byte blocks, one closed: the slow path evicts the cohort (closes
 * its arena while a member is open, frees the closed one) while another thread closes the open
 * member. In every order each block is freed exactly once and the arena ends closed: evicted
 * first, the late close frees its block at once; closed first, the cohort closes as usual and the
 * eviction finds nothing to do; in between, the eviction's free takes both.
 */
@JCStressTest
@Description("closing the open member of a cohort races its eviction")
@Outcome(id = "0, 2, 0", expect = ACCEPTABLE, desc = "both blocks freed once; the arena closed")
@Outcome(expect = FORBIDDEN, desc = "a block freed twice or never, or the arena left open")
@State
public class CloseRacesEviction {

    private final CohortBlocks blocks = new CohortBlocks();
    private final Object ownerOpen = new Object();
    private final Object ownerClosed = new Object();
    private final Cohort.Member open;

    public CloseRacesEviction() {
        open = blocks.admit(ownerOpen);
        Cohort.Member closed = blocks.admit(ownerClosed);
        blocks.cohort.stressSeal();
        blocks.cohort.memberClosed(closed);
    }

    @Actor
    public void close() {
        blocks.cohort.memberClosed(open);
    }

    @Actor
    public void slowPath() {
        blocks.cohort.stressEvict();
    }

    @Arbiter
    public void counters(JJI_Result r) {
        blocks.record(r);
    }
}
