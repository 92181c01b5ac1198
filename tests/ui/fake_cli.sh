#!/bin/sh
# A stand-in for forkscope-cli in the GUI tests: the real `run` and the scenarios are built in
# parallel, and the GUI's side of the contract (contracts.md) must be testable without them.
#   list --json        one scenario, queue-join-deadlock
#   run ID ... --record FILE --json
#                      writes the demo recording to FILE (make_demo_trace, $FORKSCOPE_FAKE_DEMO),
#                      then prints the summary; with FORKSCOPE_FAKE_HANG set it waits for SIGTERM
#                      first (a run that must be stopped) and reports outcome "stall".
cmd=$1
shift
case "$cmd" in
list)
    cat <<'JSON'
{"scenarios": [{"id": "queue-join-deadlock", "title": "Joining before getting: a deadlock",
 "guideline": {"name": "Joining processes that use queues", "text": "A process that has put items in a queue will wait before terminating until all the buffered items are fed by the feeder thread to the underlying pipe."},
 "watch_for": "the pipe fills to its capacity, then main waits forever",
 "hazard": "main joins the workers before it gets their results", "fix": "get every result first, then join",
 "method_notes": "the same under fork, spawn and forkserver", "source": "003_programming_guidelines",
 "parameters": [{"name": "items", "type": "integer", "default": 12, "min": 1, "max": 1000, "unit": "items", "description": "items each worker puts"},
                {"name": "item_bytes", "type": "integer", "default": 8192, "min": 1, "max": 1048576, "unit": "bytes", "description": "size of one item"}],
 "expected": {"hazard": {"fork": "deadlock", "spawn": "deadlock", "forkserver": "deadlock"},
              "fix": {"fork": "completed", "spawn": "completed", "forkserver": "completed"}}}]}
JSON
    exit 0
    ;;
run)
    id=$1
    method=fork
    record=
    while [ $# -gt 0 ]; do
        case "$1" in
        --record) record=$2; shift ;;
        --start-method) method=$2; shift ;;
        esac
        shift
    done
    [ -n "$record" ] || { echo "fake forkscope-cli: --record is required" >&2; exit 2; }
    # A stop may come as soon as the recording exists: be ready for it before writing it.
    stopped=0
    trap 'stopped=1' TERM
    "$FORKSCOPE_FAKE_DEMO" "$record" || exit 2
    outcome=deadlock
    if [ -n "$FORKSCOPE_FAKE_HANG" ]; then
        while [ $stopped = 0 ]; do sleep 0.05; done
        outcome=stall
    fi
    printf '{"scenario": "%s", "start_method": "%s", "variant": "hazard", "outcome": "%s", "expected_outcome": "deadlock", "error": null, "diagnosis": {"kind": "deadlock", "chain": ["main joins worker-0"], "explanation": "e", "guideline": "Joining processes that use queues", "fix": "get first", "graph": {"nodes": [{"id": "p:1", "label": "main", "kind": "process"}, {"id": "p:2", "label": "worker-0", "kind": "process"}], "edges": [{"from": "p:1", "to": "p:2", "label": "joins"}, {"from": "p:2", "to": "p:1", "label": "waits for"}], "cycle": ["p:1", "p:2"]}}, "processes": [], "metrics": {"events": 1}, "observations": [], "leaks": {"processes": 0, "shm_segments": 0, "semaphores": 0, "fds": 0}, "trace": "%s", "duration_ms": 812.5}\n' "$id" "$method" "$outcome" "$record"
    [ "$outcome" = deadlock ] && exit 0 || exit 1
    ;;
*)
    echo "fake forkscope-cli: unknown command $cmd" >&2
    exit 2
    ;;
esac
