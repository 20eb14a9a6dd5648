package io.nativemem.jcstress;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;
import io.nativemem.internal.ReclaimQueue;
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

    private final ReclaimQueue queue = ReclaimQueue.unserved();
    private final Ledger ledger = new Ledger(1 << 20, Ledger.Reclaimer.NONE, queue);
    private final Cohort cohort = Cohort.stressCohort(ledger);
    private final Object ownerOpen = new Object();
    private final Object ownerClosed = new Object();
    private final Cohort.Member open;

    public CloseRacesEviction() {
        open = admit(ownerOpen);
        Cohort.Member closed = admit(ownerClosed);
        cohort.stressSeal();
        cohort.memberClosed(closed);
    }

    private Cohort.Member admit(Object owner) {
        cohort.stressAdd(64);
        return cohort.watch(owner, NativeBlocks.allocate(ledger, 64, 16), 64);
    }

    @Actor
    public void close() {
        cohort.memberClosed(open);
    }

    @Actor
    public void slowPath() {
        cohort.stressEvict();
    }

    @Arbiter
    public void counters(JJI_Result r) {
        Ledger.Snapshot s = ledger.snapshot(0, 0);
        r.r1 = s.count();
        r.r2 = s.freedByGc() + s.freedExplicitly();
        r.r3 = cohort.alive() ? 1 : 0;
    }
}
