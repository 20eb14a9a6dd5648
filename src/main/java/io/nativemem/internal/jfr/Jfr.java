package io.nativemem.internal.jfr;

import jdk.jfr.FlightRecorder;

/** Whether the events of this package are worth creating at all. */
public final class Jfr {

    private Jfr() {
    }

    /**
     * Whether Flight Recorder has been started in this process (a recording may be running).
     * Until then no event of ours is even instantiated: the first instance of a {@code jdk.jfr.Event}
     * subclass brings up JFR's machinery, measured at 140 to 190 ms on this machine kind, and the
     * slow path that created one paid it on its first exhaustion (a failing reservation gave up
     * after 0.92 s instead of 0.53 s). An event class loaded after a recording starts is recorded
     * as usual.
     */
    public static boolean started() {
        return FlightRecorder.isInitialized();
    }
}
