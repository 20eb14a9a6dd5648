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
import org.openjdk.jcstress.infra.results.JJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * A real 64-byte block pinned by the confined scope of the thread that allocated it (another
 * thread closed it): one thread releases it (its cohort's scope was closed, or the close came from
 * another thread) while its own thread closes the confined scope and unpins it. The block must be
 * freed exactly once, by whichever of the two comes second.
 */
@JCStressTest
@Description("the release of a pinned block races its unpinning")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "freed once")
@Outcome(expect = FORBIDDEN, desc = "freed twice, or left allocated")
@State
public class ReleaseRacesUnpin {

    private final ReclaimQueue queue = ReclaimQueue.unserved();
    private final Ledger ledger = new Ledger(1 << 20, Ledger.Reclaimer.NONE, queue);
    // The owner the GC watches: held here, so the GC never frees the block.
    private final Object owner = new Object();
    private final Cohort.Member member;

    public ReleaseRacesUnpin() {
        member = Cohort.watchAlone(owner, ledger, NativeBlocks.allocate(ledger, 64, 16), 64);
        member.pin();
    }

    @Actor
    public void release() {
        member.release();
    }

    @Actor
    public void unpin() {
        member.unpin();
    }

    @Arbiter
    public void counters(JJ_Result r) {
        Ledger.Snapshot s = ledger.snapshot(0, 0);
        r.r1 = s.count();
        r.r2 = s.freedByGc() + s.freedExplicitly();
    }
}
