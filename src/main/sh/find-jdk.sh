# Sourced by ./nativemem, jmh/run and jcstress/run: sets JAVA to the java of a JDK 23 or newer,
# looking at JAVA_HOME, then java on PATH, then the usual install folders. Prints why and returns 1
# if none.

jdk_feature() { # the feature release of the JDK whose bin/java is $1 (25 for 25.0.3), or 0
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1 | cut -d. -f1 || echo 0
}

find_jdk() {
  local candidates=() dir java feature seen=""
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  for dir in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.jdks/* "$HOME"/.sdkman/candidates/java/* \
             /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] && candidates+=("$dir/bin/java")
  done
  for java in "${candidates[@]}"; do
    feature=$(jdk_feature "$java")
    seen="$seen  $java (Java ${feature:-?})\n"
    if [ "${feature:-0}" -ge 23 ] 2>/dev/null; then
      JAVA="$java"
      return 0
    fi
  done
  printf 'nativemem needs a JDK 23 or newer, and found none.\nLooked at JAVA_HOME, java on PATH and /usr/lib/jvm, /usr/java, /opt, ~/.jdks, ~/.sdkman:\n%b' "${seen:-  (nothing)\n}" >&2
  printf 'Install one (for example Temurin 25) or point JAVA_HOME at it.\n' >&2
  return 1
}
