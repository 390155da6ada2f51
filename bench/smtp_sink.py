"""A counting SMTP sink in its own process (so it doesn't share the worker's CPU/GIL).
Usage: python bench/smtp_sink.py PORT — prints 'received N' when stopped with SIGTERM."""
import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Counter:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Counter.count += 1
        return "250 OK"


def main() -> None:
    controller = Controller(Counter(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    done.wait()
    controller.stop()
    print(f"received {Counter.count}", flush=True)


if __name__ == "__main__":
    main()
