package io.nativemem.jcstress;

import io.nativemem.internal.Ledger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZJ_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/** Two reservations race for the last 50 bytes of a 100-byte limit: exactly one wins, never over-reserved. */
@JCStressTest
@Description("Two threads reserve the last 50 bytes at once")
@Outcome(id = "true, false, 100", expect = ACCEPTABLE, desc = "the first actor won")
@Outcome(id = "false, true, 100", expect = ACCEPTABLE, desc = "the second actor won")
@Outcome(expect = FORBIDDEN, desc = "both or neither won, or the capacity is wrong")
@State
public class LastBytesRace {

    private final Ledger ledger = Ledgers.holding(100, 50);

    @Actor
    public void first(ZZJ_Result r) {
        r.r1 = ledger.tryReserve(50);
    }

    @Actor
    public void second(ZZJ_Result r) {
        r.r2 = ledger.tryReserve(50);
    }

    @Arbiter
    public void capacity(ZZJ_Result r) {
        r.r3 = Ledgers.capacity(ledger);
    }
}
