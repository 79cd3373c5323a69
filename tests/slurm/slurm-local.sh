#!/usr/bin/env bash
# slurm-local.sh - throw-away single-node Slurm cluster on localhost (for CI).
#
# Needs: Debian/Ubuntu packages slurm-wlm (tested 22.05) + munge, run as root.
# Needs no systemd; touches nothing outside DIR (no /etc, /var/run or /var/spool writes).
#
#   slurm-local.sh start DIR   write DIR/slurm.conf, start munged + slurmctld + slurmd,
#                              wait until the node is idle, print the environment to use
#   slurm-local.sh stop DIR    cancel jobs, stop slurmd, slurmctld, munged (pid files)
#   slurm-local.sh status DIR  show pids and sinfo
#
# After start:   export SLURM_CONF=DIR/slurm.conf     (or: source DIR/env.sh)
# The munge socket lives in DIR/munge and is passed to every Slurm command through
# AuthInfo=socket=... in slurm.conf, so SLURM_CONF is the only variable needed.
#
# Tunables (environment):
#   SLURM_LOCAL_TIMEOUT     seconds to wait for each step (default 60)
#   SLURM_LOCAL_CTLD_PORT   slurmctld port (default 6817)
#   SLURM_LOCAL_SLURMD_PORT slurmd port    (default 6818)
#   SLURM_LOCAL_CPUS        CPUs of the node (default: nproc)
#   SLURM_LOCAL_MEM_MB      RealMemory of the node in MB (default 1024)
#   SLURM_LOCAL_MUNGE_KEY   existing munge key to copy into DIR (default: generate one)
#   SLURM_LOCAL_SMOKE_TEST  1 (default): start runs a trivial batch job and waits for it
#                           (proves munge creds + slurmstepd work; ~3 s because
#                           slurmctld's first scheduling pass comes 3 s after start).
#                           0: skip it (then the first user job gets JobId 1).
#   SLURM_LOCAL_MIN_JOB_AGE MinJobAge in s (default 3600): how long finished jobs stay
#                           visible (no accounting DB here). Note: 'sbatch --wait' polls after
#                           2 s, 8 s, then every 32 s, or every 2 s if MinJobAge <= 5; but
#                           MinJobAge=5 made sbatch --wait miss a failed array task (rc 0).
set -euo pipefail

PROG=$(basename "$0")
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-6818}

log() { echo "[$PROG] $*" >&2; }
die() { echo "[$PROG] ERROR: $*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

# Print the last lines of a log file (used on failure).
show_log() {
    local f=$1
    if [[ -s $f ]]; then
        echo "----- last 30 lines of $f -----" >&2
        tail -n 30 "$f" >&2
        echo "----- end of $f -----" >&2
    else
        echo "(log $f is missing or empty)" >&2
    fi
}

STARTING=
fail() {   # fail MESSAGE LOGFILE...
    local msg=$1; shift
    echo "[$PROG] ERROR: $msg" >&2
    local f
    for f in "$@"; do show_log "$f"; done
    if [[ -n $STARTING ]]; then
        log "start failed: stopping the daemons started so far"
        STARTING=
        TIMEOUT=10 stop_daemons || true
    fi
    exit 1
}

# alive = exists and is not a zombie (in containers without an init, exited
# daemons can linger as zombies, and kill -0 still succeeds on those)
is_alive() {
    local pid=$1 stat
    kill -0 "$pid" 2>/dev/null || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# pid from a pid file, if that process is alive; empty otherwise
live_pid() {
    local f=$1 pid
    [[ -s $f ]] || return 0
    pid=$(tr -dc '0-9' <"$f")
    [[ -n $pid ]] && is_alive "$pid" && echo "$pid"
    return 0
}

# wait_pidfile FILE SECONDS -> 0 once FILE names a live process
wait_pidfile() {
    local f=$1 t=$2 i
    for ((i = 0; i < t * 5; i++)); do
        [[ -n $(live_pid "$f") ]] && return 0
        sleep 0.2
    done
    return 1
}

# stop_pids NAME:PIDFILE...: TERM all of them, bounded wait, then KILL stragglers
stop_pids() {
    local item name f pid i alive
    local -a names=() pids=() files=()
    for item in "$@"; do
        name=${item%%:*} f=${item#*:}
        pid=$(live_pid "$f")
        if [[ -z $pid ]]; then
            log "$name: not running"
            rm -f "$f"
            continue
        fi
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        names+=("$name") pids+=("$pid") files+=("$f")
    done
    for ((i = 0; i < TIMEOUT * 5; i++)); do
        alive=
        for pid in "${pids[@]}"; do is_alive "$pid" && alive=1; done
        [[ -z $alive ]] && break
        sleep 0.2
    done
    for i in "${!pids[@]}"; do
        if is_alive "${pids[i]}"; then
            log "WARNING: ${names[i]} (pid ${pids[i]}) still alive after ${TIMEOUT}s, sending KILL"
            kill -KILL "${pids[i]}" 2>/dev/null || true
            sleep 0.5
        fi
        rm -f "${files[i]}"
    done
}

# slurmd and slurmctld together, munged last (they may still talk while exiting)
stop_daemons() {
    stop_pids "slurmd:$SLURMD_PID" "slurmctld:$CTLD_PID"
    stop_pids "munged:$MUNGE_PID"
}

setup_paths() {   # setup_paths DIR [create]
    [[ -n ${1:-} ]] || usage
    if [[ ${2:-} == create ]]; then
        mkdir -p "$1" || die "cannot create $1"
    elif [[ ! -d $1 ]]; then
        log "no such directory: $1 (nothing to do)"
        exit 0
    fi
    DIR=$(cd "$1" && pwd -P)
    CONF=$DIR/slurm.conf
    MUNGE_DIR=$DIR/munge
    MUNGE_SOCK=$MUNGE_DIR/munge.socket.2
    MUNGE_PID=$MUNGE_DIR/munged.pid
    MUNGE_LOG=$DIR/log/munged.log
    CTLD_PID=$DIR/run/slurmctld.pid
    SLURMD_PID=$DIR/run/slurmd.pid
    CTLD_LOG=$DIR/log/slurmctld.log
    SLURMD_LOG=$DIR/log/slurmd.log
}

port_in_use() {   # best effort; returns 1 if no tool is available
    local p=$1
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$p" 2>/dev/null | grep -q .
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
    fi
}

cmd_start() {
    setup_paths "${1:-}" create
    [[ $(id -u) -eq 0 ]] || die "must run as root (SlurmUser=root, munged as root)"
    local b
    for b in munged mungekey slurmctld slurmd sinfo scontrol; do
        command -v "$b" >/dev/null 2>&1 || die "'$b' not found in PATH (apt-get install slurm-wlm munge)"
    done
    for f in "$MUNGE_PID" "$CTLD_PID" "$SLURMD_PID"; do
        [[ -z $(live_pid "$f") ]] || die "a daemon of a previous start is still running ($f); run: $PROG stop $DIR"
    done
    for p in "$CTLD_PORT" "$SLURMD_PORT"; do
        ! port_in_use "$p" || die "TCP port $p is already in use (another Slurm?); set SLURM_LOCAL_CTLD_PORT / SLURM_LOCAL_SLURMD_PORT"
    done

    local node cpus mem hw topo min_job_age
    node=$(hostname -s 2>/dev/null || uname -n)
    node=${node%%.*}
    [[ -n $node ]] || die "cannot determine the short host name"
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    mem=${SLURM_LOCAL_MEM_MB:-1024}
    min_job_age=${SLURM_LOCAL_MIN_JOB_AGE:-3600}
    # Use the real socket/core/thread layout when it matches, so slurmd does not
    # log "Node reconfigured socket/core boundaries"; else just CPUs=N.
    topo="CPUs=$cpus"
    hw=$(env -u SLURM_CONF slurmd -C 2>/dev/null | head -n1 || true)
    if [[ $hw =~ CPUs=([0-9]+)\ Boards=([0-9]+)\ SocketsPerBoard=([0-9]+)\ CoresPerSocket=([0-9]+)\ ThreadsPerCore=([0-9]+) ]] &&
        [[ ${BASH_REMATCH[1]} == "$cpus" ]]; then
        topo="CPUs=$cpus Boards=${BASH_REMATCH[2]} SocketsPerBoard=${BASH_REMATCH[3]} CoresPerSocket=${BASH_REMATCH[4]} ThreadsPerCore=${BASH_REMATCH[5]}"
    fi
    # AF_UNIX socket paths (munge socket, slurmstepd sockets) are limited to 108 bytes
    (( ${#DIR} + ${#node} < 80 )) || die "DIR path too long for unix sockets (${#DIR} chars): use a shorter DIR"

    # munged checks that every directory on the socket path is not writable by
    # others (unless sticky) and is executable by all; key dir/key must be root's.
    mkdir -p "$MUNGE_DIR" "$DIR/state" "$DIR/spool/$node" "$DIR/log" "$DIR/run"
    chmod 0755 "$DIR" "$MUNGE_DIR"
    chmod 0700 "$DIR/state"

    # ---------- munge key (private to DIR, owned by root, 0600) ----------
    if [[ ! -s $MUNGE_DIR/munge.key ]]; then
        if [[ -n ${SLURM_LOCAL_MUNGE_KEY:-} ]]; then
            [[ -r $SLURM_LOCAL_MUNGE_KEY ]] || die "SLURM_LOCAL_MUNGE_KEY=$SLURM_LOCAL_MUNGE_KEY is not readable"
            install -m 0600 -o root -g root "$SLURM_LOCAL_MUNGE_KEY" "$MUNGE_DIR/munge.key"
        else
            # /etc/munge/munge.key (if any) is owned by the munge user, and munged
            # running as root refuses it ("Keyfile is insecure ... should be owned
            # by UID 0"), so we always make a fresh key here.
            mungekey --create --keyfile="$MUNGE_DIR/munge.key" --bits=1024 >/dev/null 2>&1 ||
                (umask 077 && dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=128 count=1 status=none)
        fi
        chmod 0600 "$MUNGE_DIR/munge.key"
    fi

    # ---------- configuration ----------
    : >"$DIR/plugstack.conf"   # empty: ignore /etc/slurm/plugstack.conf(.d)
    cat >"$CONF" <<EOF
# Generated by $PROG on $(date -u +%FT%TZ) -- single-node local cluster
ClusterName=local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root

AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK

StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$CTLD_LOG
SlurmdLogFile=$SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
MailProg=/bin/true

ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobContainerType=job_container/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# default batch_sched_delay=3 s batches scheduling of batch jobs (array tasks start in 3 s waves)
SchedulerParameters=batch_sched_delay=0

AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none

ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=$min_job_age
Waittime=0

NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node $topo RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$CONF

    STARTING=1
    # ---------- munged ----------
    log "starting munged (socket $MUNGE_SOCK)"
    local margs=(--socket="$MUNGE_SOCK" --pid-file="$MUNGE_PID" --log-file="$MUNGE_LOG"
        --seed-file="$MUNGE_DIR/munged.seed" --key-file="$MUNGE_DIR/munge.key")
    if ! munged "${margs[@]}" 2>>"$DIR/log/munged.stderr"; then
        log "munged refused to start ($(tail -n1 "$DIR/log/munged.stderr" 2>/dev/null)); retrying with --force"
        rm -f "$MUNGE_SOCK" "$MUNGE_SOCK.lock"
        munged --force "${margs[@]}" 2>>"$DIR/log/munged.stderr" ||
            fail "munged failed to start" "$MUNGE_LOG" "$DIR/log/munged.stderr"
    fi
    wait_pidfile "$MUNGE_PID" "$TIMEOUT" || fail "munged did not write $MUNGE_PID" "$MUNGE_LOG"
    if command -v munge >/dev/null 2>&1; then
        munge -S "$MUNGE_SOCK" -n | unmunge -S "$MUNGE_SOCK" >/dev/null 2>&1 ||
            fail "munge credential round trip failed" "$MUNGE_LOG"
    fi

    # ---------- slurmctld ----------
    log "starting slurmctld (node $node, $cpus CPUs, port $CTLD_PORT)"
    slurmctld -f "$CONF" 2>>"$DIR/log/slurmctld.stderr" ||
        fail "slurmctld failed to start" "$CTLD_LOG" "$DIR/log/slurmctld.stderr"
    wait_pidfile "$CTLD_PID" "$TIMEOUT" || fail "slurmctld did not write $CTLD_PID" "$CTLD_LOG" "$DIR/log/slurmctld.stderr"
    local i ok=
    for ((i = 0; i < TIMEOUT * 2; i++)); do
        [[ -n $(live_pid "$CTLD_PID") ]] || fail "slurmctld died" "$CTLD_LOG" "$DIR/log/slurmctld.stderr"
        if scontrol ping 2>/dev/null | grep -q 'is UP'; then ok=1; break; fi
        sleep 0.5
    done
    [[ -n $ok ]] || fail "slurmctld not answering 'scontrol ping' after ${TIMEOUT}s" "$CTLD_LOG"

    # ---------- slurmd ----------
    log "starting slurmd (port $SLURMD_PORT)"
    slurmd -f "$CONF" -N "$node" 2>>"$DIR/log/slurmd.stderr" ||
        fail "slurmd failed to start" "$SLURMD_LOG" "$DIR/log/slurmd.stderr"
    wait_pidfile "$SLURMD_PID" "$TIMEOUT" || fail "slurmd did not write $SLURMD_PID" "$SLURMD_LOG" "$DIR/log/slurmd.stderr"

    # ---------- wait for the node to be idle ----------
    local state=
    ok=
    for ((i = 0; i < TIMEOUT * 2; i++)); do
        [[ -n $(live_pid "$SLURMD_PID") ]] || fail "slurmd died" "$SLURMD_LOG" "$DIR/log/slurmd.stderr"
        [[ -n $(live_pid "$CTLD_PID") ]] || fail "slurmctld died" "$CTLD_LOG"
        state=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -n1 || true)
        if [[ $state == idle ]]; then ok=1; break; fi
        if [[ $state == inval* || $state == drain* ]]; then   # will not heal by waiting
            scontrol show node "$node" >&2 || true
            fail "node $node is '$state' (see Reason= above)" "$SLURMD_LOG" "$CTLD_LOG"
        fi
        sleep 0.5
    done
    if [[ -z $ok ]]; then
        scontrol show node "$node" >&2 || true
        fail "node $node not idle after ${TIMEOUT}s (state: '${state:-?}')" "$SLURMD_LOG" "$CTLD_LOG"
    fi

    # ---------- smoke test: one trivial batch job ----------
    if [[ ${SLURM_LOCAL_SMOKE_TEST:-1} != 0 ]]; then
        local jid js=
        jid=$(sbatch --parsable -J smoke-test -o "$DIR/log/smoke-test-%j.out" --wrap 'echo ok' 2>&1) ||
            fail "sbatch of the smoke-test job failed: $jid" "$CTLD_LOG"
        jid=${jid%%;*}
        for ((i = 0; i < TIMEOUT * 2; i++)); do
            js=$(scontrol -o show job "$jid" 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
            js=${js#JobState=}
            case $js in
                COMPLETED) break ;;
                FAILED | CANCELLED | NODE_FAIL | BOOT_FAIL | TIMEOUT | OUT_OF_MEMORY | DEADLINE)
                    scontrol show job "$jid" >&2 || true
                    fail "smoke-test job $jid ended in state $js" "$SLURMD_LOG" "$CTLD_LOG" ;;
            esac
            sleep 0.5
        done
        if [[ $js != COMPLETED ]]; then
            scontrol show job "$jid" >&2 || true
            fail "smoke-test job $jid not completed after ${TIMEOUT}s (state: '${js:-?}')" "$SLURMD_LOG" "$CTLD_LOG"
        fi
        log "smoke-test job $jid completed"
    fi

    STARTING=
    printf 'export SLURM_CONF=%q\n' "$CONF" >"$DIR/env.sh"
    log "cluster up: node $node idle. Logs in $DIR/log. Use it with:"
    cat "$DIR/env.sh"   # stdout: eval "$(slurm-local.sh start DIR)" works
}

cmd_stop() {
    setup_paths "${1:-}"
    export SLURM_CONF=$CONF
    # Cancel remaining jobs first so no slurmstepd/job processes outlive slurmd
    # (proctrack/linuxproc: stepds are not children of slurmd).
    if [[ -n $(live_pid "$CTLD_PID") ]] && [[ -f $CONF ]]; then
        local jobs i
        jobs=$(timeout 10 squeue -h -o '%A' 2>/dev/null || true)
        if [[ -n $jobs ]]; then
            log "cancelling jobs: ${jobs//$'\n'/ }"
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            for ((i = 0; i < TIMEOUT * 2; i++)); do
                [[ -z $(timeout 10 squeue -h -o '%A' 2>/dev/null || true) ]] && break
                sleep 0.5
            done
        fi
    fi
    stop_daemons
    log "stopped (DIR $DIR left in place; delete it when done)"
}

cmd_status() {
    setup_paths "${1:-}"
    export SLURM_CONF=$CONF
    local n f
    for n in munged:$MUNGE_PID slurmctld:$CTLD_PID slurmd:$SLURMD_PID; do
        f=${n#*:}
        echo "${n%%:*}: $(live_pid "$f" | sed 's/^/pid /' || true)"
    done
    [[ -n $(live_pid "$CTLD_PID") ]] && sinfo
    return 0
}

case ${1:-} in
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) usage ;;
esac
