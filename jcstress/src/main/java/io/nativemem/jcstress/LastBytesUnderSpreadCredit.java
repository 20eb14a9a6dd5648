package io.nativemem.jcstress;

import io.nativemem.internal.Ledger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The last bytes while one thread uses its stripe's credit and another needs it drained. Limit
 * 160, batches of 100: stripes 0 and 1 each hold 10 in use and take the rest of the room as
 * credit (100 and 40). One thread takes 50 from stripe 0's credit (one compare-and-set, unless the
 * stripes were closed first); the other reserves 90 through stripe 2, which holds nothing and fits
 * only once the credit left on stripes 0 and 1 is drained back. The two ask for exactly the room
 * there is: both must succeed, whichever drains or takes first, and the total ends at the limit.
 * (The same with three threads would not run here: jcstress needs a core per actor, and CI has 2.)
 */
@JCStressTest
@Description("A reservation from credit races one that fits only once the credit is drained")
@Outcome(id = "1, 1, 160", expect = ACCEPTABLE, desc = "both fit: 160 in use, at the limit")
@Outcome(expect = FORBIDDEN, desc = "a reservation failed though drained credit made room, or the ledger is wrong")
@State
public class LastBytesUnderSpreadCredit {

    private final Ledger ledger = Ledgers.striped(160, 4, 100);

    public LastBytesUnderSpreadCredit() {
        Ledgers.take(ledger, 0, 10);
        Ledgers.take(ledger, 1, 10);
    }

    @Actor
    public void fromCredit(JJJ_Result r) {
        r.r1 = ledger.tryReserve(0, 50) ? 1 : 0;
    }

    @Actor
    public void afterDraining(JJJ_Result r) {
        r.r2 = ledger.tryReserve(2, 90) ? 1 : 0;
    }

    @Arbiter
    public void capacity(JJJ_Result r) {
        r.r3 = Ledgers.capacityWithinLimit(ledger);
    }
}
