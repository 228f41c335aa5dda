"""Command line: ``kinesis-lab endpoint`` and ``kinesis-lab cleanup``.

Why: the two things a learner does outside a notebook — start the local endpoint for CLI
labs, and delete what labs created on a real account — each in one command.
"""

from __future__ import annotations

import argparse
import sys

from .account.endpoint import DEFAULT_HOST, DEFAULT_PORT, EndpointError, serve


def _endpoint(args: argparse.Namespace) -> int:
    try:
        serve(
            args.host,
            args.port,
            limits=not args.no_limits,
            simulated_clock=args.simulated_clock,
            unix_socket=args.unix_socket,
        )
    except EndpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    from .account.session import LabConfigurationError, start_lab

    try:
        lab = start_lab(
            args.target,
            endpoint_url=args.endpoint_url,
            region=args.region,
            i_accept_aws_costs=args.target == "aws",
            quiet=True,
        )
    except LabConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    doomed = lab.cleanup(dry_run=True)
    if not doomed:
        print(f"Nothing to clean up on {args.target} ({args.region}).")
        return 0
    print("Resources created by the course labs (prefix kinesis-lab-, tag kinesis-lab=course):")
    for item in doomed:
        print(f"  {item}")
    if not args.yes:
        print("Dry run: nothing deleted. Re-run with --yes to delete them.")
        return 0
    deleted = lab.cleanup()
    print(f"Deleted {len(deleted)} resource(s).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kinesis-lab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    endpoint = commands.add_parser("endpoint", help="serve the fixed mock on 127.0.0.1")
    endpoint.add_argument("--host", default=DEFAULT_HOST)
    endpoint.add_argument("--port", type=int, default=DEFAULT_PORT)
    endpoint.add_argument(
        "--no-limits", action="store_true", help="turn the simulated throughput limits off"
    )
    endpoint.add_argument(
        "--simulated-clock",
        action="store_true",
        help="start with lab time standing still (advance it through the clock control API)",
    )
    endpoint.add_argument(
        "--unix-socket",
        metavar="PATH",
        help="listen on this Unix socket instead of a port (how the grader serves a jailed "
        "kernel, which has no network)",
    )
    endpoint.set_defaults(run=_endpoint)

    cleanup = commands.add_parser("cleanup", help="delete what the labs created")
    cleanup.add_argument("--target", choices=["aws", "local", "localstack"], required=True)
    cleanup.add_argument("--endpoint-url", default=None)
    cleanup.add_argument("--region", default="us-east-1")
    cleanup.add_argument("--yes", action="store_true", help="really delete (default: list)")
    cleanup.set_defaults(run=_cleanup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
