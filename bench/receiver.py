#!/usr/bin/env python3
"""A webhook endpoint for the benchmark's cost run: answers every request 204 at once, on
keep-alive connections, and counts what it received (printed when it is stopped).

  python3 bench/receiver.py PORT

Standard library only (asyncio), so that its own CPU stays small beside the server's.
"""
import asyncio
import signal
import sys

received = 0


async def handle(reader, writer):
    global received
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            await reader.readexactly(length)
            received += 1
            writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    print(f"received {received} requests", flush=True)


asyncio.run(main(int(sys.argv[1])))
