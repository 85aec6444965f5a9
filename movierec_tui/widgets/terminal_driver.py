"""The app's driver on a terminal: Textual's, except that input which is not UTF-8 does not end the app.

Textual's `LinuxDriver` decodes what the terminal sends as strict UTF-8 (textual#6456, open): one
invalid byte (`é` from a terminal set to Latin-1 is 0xE9; a paste of binary) raised UnicodeDecodeError
in its input thread, and the app panicked: a traceback with Textual's paths over the screen, and the
app gone with exit 0. Served sessions never met it (serve/terminal_input.py decodes a client's bytes
before the app's terminal sees them); the app in a person's own terminal did. `ForgivingDriver` reads
its input as Textual's does, but decodes with replacement: each invalid byte becomes U+FFFD, which
the chat reads as any other character it does not know, and the first one is logged.

Its input loop is its own (Textual's is one method that makes the decoder inside it), written to do
what Textual's does: wait for input a tenth of a second at a time, parse it, hand each event to the
app, let the parser time out a lone escape, and end the parser when the app stops.
"""

from __future__ import annotations

import codecs
import logging
import os
import selectors

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

log = logging.getLogger(__name__)

REPLACEMENT = "\ufffd"


class ForgivingDriver(LinuxDriver):
    """Textual's `LinuxDriver`, its input decoded with replacement (the module's docstring: why)."""

    def run_input_thread(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        parser = XTermParser(self._debug)
        replaced = False

        def take(data: bytes) -> None:
            nonlocal replaced
            text = decoder.decode(data)
            if not text:  # the start of a character, held for the rest; an empty feed would end the parser
                return
            if not replaced and text.count(REPLACEMENT) > data.count(REPLACEMENT.encode()):
                replaced = True
                log.warning("input that is not UTF-8 came from the terminal: each invalid byte read as U+FFFD")
            for event in parser.feed(text):
                self.process_message(event)

        with selectors.SelectSelector() as selector:
            selector.register(self.fileno, selectors.EVENT_READ)
            while not self.exit_event.is_set():
                if selector.select(0.1) and (data := os.read(self.fileno, 4096)):
                    take(data)
                for event in parser.tick():  # a lone escape becomes the escape key after a short wait
                    self.process_message(event)
        try:
            for _event in parser.feed(""):  # ends the parser; what it still held is not the app's any more
                pass
        except (EOFError, ParseError):
            pass


def forgiving(driver: type[Driver]) -> type[Driver]:
    """The driver to run the app with, for the one Textual chose: `ForgivingDriver` in place of its
    terminal driver; any other (the web's, which `serve web` names in the environment) as it is."""
    return ForgivingDriver if driver is LinuxDriver else driver
