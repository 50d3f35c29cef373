"""Job functions for test/rate-limit-rq-master.test.ts: rq-ts registers the same dotted names.

span(ms) counts itself running in Redis (`running`, and the most at once in `most`, one script
so that both sides count alike), works for `ms` milliseconds, and says which side ran it.
"""
import os
import time

from redis import Redis

redis = Redis(port=int(os.environ['RL_PORT']))
ENTER = "local n = redis.call('INCR', 'running') if n > tonumber(redis.call('GET', 'most') or '0') then redis.call('SET', 'most', n) end return n"


def span(ms):
    redis.eval(ENTER, 0)
    time.sleep(ms / 1000)
    redis.decr('running')
    redis.rpush('ran', 'python')
    return 'python'
