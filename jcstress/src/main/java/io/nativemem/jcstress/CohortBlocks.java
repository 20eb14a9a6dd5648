package io.nativemem.jcstress;

import io.nativemem.internal.Cohort;
import io.nativemem.internal.Ledger;
import io.nativemem.internal.NativeBlocks;
import io.nativemem.internal.ReclaimQueue;
import org.openjdk.jcstress.infra.results.JJI_Result;

/**
 * A cohort of real 64-byte blocks in a ledger and a reclaim queue of its own, outside the
 * process's admission: the state the cohort stress tests share.
 */
final class CohortBlocks {

    final ReclaimQueue queue = ReclaimQueue.unserved();
    final Ledger ledger = new Ledger(1 << 20, Ledger.Reclaimer.NONE, queue);
    final Cohort cohort = Cohort.stressCohort(ledger);

    /** Allocates and admits one block, watched through {@code owner}, which the caller keeps reachable. */
    Cohort.Member admit(Object owner) {
        cohort.stressAdd(64);
        return cohort.watch(owner, NativeBlocks.allocate(ledger, 64, 16), 64);
    }

    /** Blocks still allocated, blocks freed, and whether the cohort's arena is still open. */
    void record(JJI_Result r) {
        Ledger.Snapshot s = ledger.snapshot(0, 0);
        r.r1 = s.count();
        r.r2 = s.freedByGc() + s.freedExplicitly();
        r.r3 = cohort.alive() ? 1 : 0;
    }
}
