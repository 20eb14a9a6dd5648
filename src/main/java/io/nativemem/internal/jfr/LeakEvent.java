package io.nativemem.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** An explicit arena that became unreachable without close(): freed by the cleaner. */
@Name("io.nativemem.Leak")
@Label("Native Memory Leak")
@Category({"Java Application", "nativemem"})
@Description("A confined or shared arena that became unreachable without being closed; the cleaner freed it")
@StackTrace(false)
public final class LeakEvent extends Event {

    @Label("Arena Kind")
    public String kind;

    @Label("Blocks")
    public long blocks;

    @Label("Capacity")
    @DataAmount
    public long bytes;

    @Label("Created At")
    @Description("Where the arena was created, when leak detection recorded it (mode all, or a sampled arena)")
    public String createdAt;
}
