"""In-process rate-limit counters without a timer thread (scheme `worker-memory://`).

limits' own MemoryStorage starts a `threading.Timer` to sweep expired keys after nearly every hit once
the previous sweep has run (10 ms later): under load, a thread start every few requests, which cost a
scan more than the scan itself (bench/README.md). This storage implements limits' public `Storage`
interface for the fixed-window strategy (Flask-Limiter's default): a counter that has expired counts as
zero when read, and expired counters are swept inline, at most once a second. Counts live in one worker
process, as with `memory://`; production sets RATELIMIT_STORAGE_URI to Redis so that every worker and
node counts together.
"""
import threading
import time

from limits.storage import Storage


class WorkerMemoryStorage(Storage):
    STORAGE_SCHEME = ["worker-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri=None, wrap_exceptions=False, **options):
        self.counters = {}  # key -> [count, the time.time() it expires at]
        self.lock = threading.Lock()
        self.swept_at = time.time()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return ValueError

    def incr(self, key, expiry, amount=1):
        now = time.time()
        with self.lock:
            if now - self.swept_at >= self.SWEEP_SECONDS:
                self.swept_at = now
                self.counters = {k: counter for k, counter in self.counters.items() if counter[1] > now}
            counter = self.counters.get(key)
            if counter is None or counter[1] <= now:
                counter = self.counters[key] = [0, now + expiry]
            counter[0] += amount
            return counter[0]

    def get(self, key):
        counter = self.counters.get(key)
        return counter[0] if counter is not None and counter[1] > time.time() else 0

    def get_expiry(self, key):
        counter = self.counters.get(key)
        now = time.time()
        return counter[1] if counter is not None and counter[1] > now else now

    def check(self):
        return True

    def reset(self):
        with self.lock:
            count = len(self.counters)
            self.counters = {}
        return count

    def clear(self, key):
        with self.lock:
            self.counters.pop(key, None)
