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
 * Two reservations race for the last bytes, which only other stripes hold, as credit. Limit 150,
 * batches of 100: stripes 0 and 1 each hold 10 in use and take the rest of the room as credit
 * (100 and 30), so the total has none left. Stripes 2 and 3 then each reserve 70: either fits once
 * the credit is drained back, both together do not. Exactly one wins, and the total never passes
 * the limit.
 */
@JCStressTest
@Description("Two reservations through empty stripes race for room that other stripes hold as credit")
@Outcome(id = "1, 0, 90", expect = ACCEPTABLE, desc = "the first won: 90 in use")
@Outcome(id = "0, 1, 90", expect = ACCEPTABLE, desc = "the second won: 90 in use")
@Outcome(expect = FORBIDDEN, desc = "both won (over the limit), neither did (credit hid the room), or the ledger is wrong")
@State
public class LastBytesRace {

    private final Ledger ledger = Ledgers.striped(150, 4, 100);

    public LastBytesRace() {
        Ledgers.take(ledger, 0, 10);
        Ledgers.take(ledger, 1, 10);
    }

    @Actor
    public void first(JJJ_Result r) {
        r.r1 = ledger.tryReserve(2, 70) ? 1 : 0;
    }

    @Actor
    public void second(JJJ_Result r) {
        r.r2 = ledger.tryReserve(3, 70) ? 1 : 0;
    }

    @Arbiter
    public void capacity(JJJ_Result r) {
        r.r3 = Ledgers.capacityWithinLimit(ledger);
    }
}
