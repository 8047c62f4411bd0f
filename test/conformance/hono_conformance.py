#!/usr/bin/python3
"""
Conformance suite for the registry's Hono AMQP 1.0 APIs, driven with Apache Qpid Proton (Python,
Debian python3-qpid-proton 0.37): an AMQP stack independent of the registry's rhea.

Each case checks one acceptance behaviour of docs/amqp-api.md §11 (its id is the
group letter plus the behaviour number, e.g. A7 = behaviour 7; a trailing letter splits a behaviour).

The harness starts one redis-server (with TEST_REDIS=cluster: one 3-master Redis Cluster per
registry) and three registries (`node dist/main.js`) as child processes:

  legacy              REGISTRY_HONO_API unset (default legacy profile), own accounts file, assertion JWT
                      secret, defaults for credit (100), cache max-age (180) and idle timeout (30 s)
  1.x                 REGISTRY_HONO_API=1.x, own accounts file, SASL ANONYMOUS enabled, credit 20,
                      cache max-age 120, idle timeout 10 s
  legacy-first-start  no accounts file (the registry creates one), REGISTRY_CACHE_MAX_AGE=0

provisions Hono's 0.9 integration-test fixture (§9.1) plus extra data over the HTTP API, runs the
cases and prints one JSON line per case:

  {"id": "A7", "profile": "legacy", "name": "...", "ok": true|false|null, "detail": "..."}

ok is null for a case marked xfail (a known registry bug, explained in the detail) that fails.
`--list` prints the cases (ok null) without starting anything. Every wait is bounded (5 s per case
unless a case declares a larger budget); redis and the registries are killed on exit.

Run with /usr/bin/python3 (the interpreter that has proton).
"""
import argparse
import atexit
import base64
import ctypes
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
import warnings

warnings.filterwarnings('ignore', category=DeprecationWarning)
import crypt  # noqa: E402 - deprecated in 3.11 but present; only makes/verifies bcrypt hashes

from proton import (  # noqa: E402
    Array, Condition, Data, Delivery, Described, Endpoint, Handler, Link, Message, SASL, Terminus, symbol, ulong,
)
from proton.reactor import Container  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAIN_JS = os.path.join(ROOT, 'dist', 'main.js')

MAX_WAIT = 5.0          # no single wait is longer
CASE_BUDGET = 5.0       # default time budget of one case
ASSERTION_SECRET = 'conformance-assertion-secret-0123456789abcdef'
ASSERTION_LIFETIME = 60

USERS = {
    'admin': 'admin-secret',
    'hono-client': 'secret',
    'protocol-adapter@HONO': 'adapter-secret',
}
ADAPTER = 'protocol-adapter@HONO'

# The Hono 0.9 fixture's sensor1 password hash: Base64(SHA-512(salt "hono" || "hono-secret")).
HONO_SALT = 'aG9ubw=='
SENSOR1_HASH = base64.b64encode(hashlib.sha512(b'hono' + b'hono-secret').digest()).decode()
SENSOR1_SECRETS = [
    {'not-before': '2017-05-01T14:00:00+01:00', 'not-after': '2037-06-01T14:00:00+01:00',
     'hash-function': 'sha-512', 'salt': HONO_SALT, 'pwd-hash': SENSOR1_HASH},
    {'not-before': '2017-05-15T14:00:00+01:00', 'not-after': '2037-05-01T14:00:00+01:00',
     'hash-function': 'sha-512', 'salt': HONO_SALT, 'pwd-hash': SENSOR1_HASH},
]


def sha256_secret(password, salt=b'salt'):
    return {'hash-function': 'sha-256', 'salt': base64.b64encode(salt).decode(),
            'pwd-hash': base64.b64encode(hashlib.sha256(salt + password.encode()).digest()).decode()}


# --------------------------------------------------------------------------------------------
# Case registry
# --------------------------------------------------------------------------------------------

class CaseFail(Exception):
    pass


class Case:
    def __init__(self, cid, name, fn, instances, xfail, budget):
        self.id, self.name, self.fn, self.instances, self.xfail, self.budget = cid, name, fn, instances, xfail, budget


CASES = []
BOTH = ('legacy', '1.x')


def case(cid, name, instances=BOTH, xfail=None, budget=CASE_BUDGET):
    """Declares a case. xfail: text naming a known registry bug; the case then reports ok=null when it fails."""
    def deco(fn):
        CASES.append(Case(cid, name, fn, instances, xfail, budget))
        return fn
    return deco


def check(cond, msg):
    if not cond:
        raise CaseFail(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise CaseFail(f'{what}: expected {expected!r}, got {actual!r}')


# The deadline of the running case: every wait ends at the earlier of its own timeout and this.
DEADLINE = [float('inf')]


def remaining(timeout):
    return max(0.0, min(timeout, MAX_WAIT, DEADLINE[0] - time.monotonic()))


# --------------------------------------------------------------------------------------------
# Proton client
# --------------------------------------------------------------------------------------------

CONTAINER = None


def container():
    global CONTAINER
    if CONTAINER is None:
        CONTAINER = Container()
        CONTAINER.timeout = 0.02
        CONTAINER.start()
        # A pending timer keeps the reactor alive while no connection is open (it finishes otherwise).
        CONTAINER.schedule(10 ** 6, Handler())
    return CONTAINER


def pump(seconds):
    """Processes events for all connections for about `seconds`."""
    end = time.monotonic() + seconds
    c = container()
    while time.monotonic() < end:
        c.timeout = max(0.001, min(0.02, end - time.monotonic()))
        c.process()


def wait_for(cond, what, timeout=MAX_WAIT):
    c = container()
    limit = remaining(timeout)
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() >= end:
            raise CaseFail(f'timed out after {limit:.1f} s waiting for {what}')
        c.timeout = 0.02
        c.process()


OUTCOMES = {Delivery.ACCEPTED: 'accepted', Delivery.REJECTED: 'rejected', Delivery.RELEASED: 'released',
            Delivery.MODIFIED: 'modified'}

NOTSET = object()
AUTO = object()


class AmqpValue:
    """A request body to be sent as an AmqpValue section instead of Data."""

    def __init__(self, value):
        self.value = value


class Result:
    def __init__(self, outcome, condition, response, elapsed, request):
        self.outcome = outcome            # 'accepted', 'rejected', ...
        self.condition = condition        # proton Condition of a rejection, or None
        self.response = response          # proton Message, or None
        self.elapsed = elapsed
        self.request = request

    @property
    def props(self):
        return (self.response.properties or {}) if self.response is not None else {}

    @property
    def status(self):
        return self.props.get('status')

    @property
    def json(self):
        body = self.response.body if self.response is not None else None
        if body is None:
            return None
        if isinstance(body, memoryview):
            body = body.tobytes()
        check(isinstance(body, bytes), f'response body is not a Data section: {body!r}')
        return json.loads(body.decode('utf-8'))

    def describe(self):
        if self.response is None:
            cond = f' {self.condition.name}: {self.condition.description}' if self.condition else ''
            return f'outcome {self.outcome}{cond}, no response'
        body = self.response.body
        if isinstance(body, (bytes, memoryview)):
            body = bytes(body).decode('utf-8', 'replace')
        return f'status {self.status!r} props {dict(self.props)!r} body {body!r}'


class Amqp(Handler):
    """One AMQP connection of the test client; records everything the registry sends."""

    def __init__(self, port, user=None, password=None, mechs='PLAIN', sasl=True, idle=None, expect_open=True, registry=None):
        super().__init__()
        self.port = port
        self.registry = registry
        self.inbox = {}                 # receiver link name -> [Message]
        self.outcomes = {}              # delivery tag -> (state, Condition)
        self.transport_condition = None
        self.sasl_outcome = None
        self.transport_closed = False
        self.remote_opened_at = None
        self.link_events = []
        c = container()
        kwargs = {'sasl_enabled': sasl, 'reconnect': False}
        if sasl:
            kwargs['allowed_mechs'] = mechs
            if user is not None:
                kwargs['user'] = user
                kwargs['password'] = password
        self.conn = c.connect(url=f'amqp://127.0.0.1:{port}', handler=self, heartbeat=idle, **kwargs)
        self.session = None
        if registry is not None:
            registry.clients.append(self)
        if expect_open:
            self.wait_open()

    # -- events ------------------------------------------------------------------------------
    def on_connection_remote_open(self, event):
        self.remote_opened_at = time.monotonic()

    def on_connection_remote_close(self, event):
        if event.connection.state & Endpoint.LOCAL_ACTIVE:
            event.connection.close()

    def _grab_sasl(self, event):
        try:
            if event.transport is not None and self.sasl_outcome is None:
                outcome = event.transport.sasl().outcome
                if outcome is not None and outcome >= 0:
                    self.sasl_outcome = outcome
        except Exception:  # pragma: no cover - best effort
            pass

    def on_transport_error(self, event):
        self.transport_condition = event.transport.condition
        self._grab_sasl(event)

    def on_transport_closed(self, event):
        self._grab_sasl(event)
        if self.transport_condition is None and event.transport is not None:
            self.transport_condition = event.transport.condition
        self.transport_closed = True

    on_transport_tail_closed = on_transport_closed

    def on_link_remote_close(self, event):
        self.link_events.append(('close', event.link.name))

    def on_delivery(self, event):
        dlv = event.delivery
        link = dlv.link
        if link.is_receiver:
            if dlv.readable and not dlv.partial:
                data = link.recv(dlv.pending)
                link.advance()
                msg = Message()
                msg.decode(data)
                msg.raw = data  # the encoded message, for wire-type checks
                self.inbox.setdefault(link.name, []).append(msg)
                if self.registry is not None:
                    self.registry.responses.append(msg)
                dlv.update(Delivery.ACCEPTED)
                dlv.settle()
                link.flow(1)
        else:
            if dlv.remote_state and dlv.tag not in self.outcomes:
                self.outcomes[dlv.tag] = (dlv.remote_state, dlv.remote.condition)
                dlv.settle()

    # -- connection --------------------------------------------------------------------------
    @property
    def is_open(self):
        return bool(self.conn.state & Endpoint.REMOTE_ACTIVE) and not (self.conn.state & Endpoint.REMOTE_CLOSED) \
            and not self.transport_closed

    @property
    def failed(self):
        return self.transport_closed or bool(self.conn.state & Endpoint.REMOTE_CLOSED)

    def wait_open(self):
        wait_for(lambda: self.is_open or self.failed, 'the connection to open')
        if not self.is_open:
            raise CaseFail(f'connection refused: transport {self.transport_condition}, sasl outcome {self.sasl_outcome}, '
                           f'remote condition {self.conn.remote_condition}')

    def wait_refused(self, what='the connection to be refused', timeout=MAX_WAIT):
        wait_for(lambda: self.failed, what, timeout)

    def abort(self):
        """Drops the TCP connection without a close frame (a crashed client)."""
        if self.conn.transport is not None:
            self.conn.transport.close_tail()
            self.conn.transport.close_head()
        wait_for(lambda: self.transport_closed, 'the socket to close', timeout=2.0)

    def close(self):
        try:
            if self.conn.state & Endpoint.LOCAL_ACTIVE:
                self.conn.close()
            if not self.transport_closed:
                end = time.monotonic() + 1.0
                c = container()
                while not (self.conn.state & Endpoint.REMOTE_CLOSED) and not self.transport_closed and time.monotonic() < end:
                    c.timeout = 0.02
                    c.process()
            if self.conn.transport is not None and not self.transport_closed:
                self.conn.transport.close_tail()
                self.conn.transport.close_head()
            pump(0.01)
        except Exception:
            pass

    # -- links -------------------------------------------------------------------------------
    def _session(self):
        if self.session is None:
            self.session = self.conn.session()
            self.session.open()
        return self.session

    def receiver(self, address, credit=200, wait=True, settle=0.0):
        """The client's receiver link (the registry's sender): source = reply address."""
        link = self._session().receiver(f'rcv-{uuid.uuid4()}')
        link.source.address = address
        link.target.address = address
        link.snd_settle_mode = Link.SND_UNSETTLED
        link.rcv_settle_mode = Link.RCV_FIRST
        link.open()
        link.flow(credit)
        if wait:
            self.wait_attached(link, settle)
        return link

    def sender(self, address, settled=False, null_target=False, no_terminus=False, wait=True, settle=0.0):
        """The client's sender link (the registry's receiver): target = service address."""
        link = self._session().sender(f'snd-{uuid.uuid4()}')
        if no_terminus:
            link.target.type = Terminus.UNSPECIFIED
        elif not null_target:
            link.target.address = address
        link.source.address = f'client/{link.name}'
        link.snd_settle_mode = Link.SND_SETTLED if settled else Link.SND_UNSETTLED
        link.rcv_settle_mode = Link.RCV_FIRST
        link.open()
        if wait:
            self.wait_attached(link, settle)
        return link

    def wait_attached(self, link, settle=0.0):
        wait_for(lambda: link.state & (Endpoint.REMOTE_ACTIVE | Endpoint.REMOTE_CLOSED) or self.failed,
                 f'the attach of {link.name}')
        if settle:
            pump(settle)  # a refusal would follow the echoed attach at once

    @staticmethod
    def refused(link):
        return bool(link.state & Endpoint.REMOTE_CLOSED)

    def expect_refusal(self, link, condition, what):
        wait_for(lambda: link.state & Endpoint.REMOTE_CLOSED or self.failed, f'{what} to be closed', timeout=2.0)
        check(Amqp.refused(link), f'{what} was not refused')
        eq(link.remote_condition.name if link.remote_condition else None, condition, f'{what}: link error condition')

    def messages(self, link):
        return self.inbox.get(link.name, [])

    def rr(self, target, reply=None):
        return RR(self, target, reply)


def build_request(subject, body=NOTSET, props=None, msg_id=AUTO, correlation_id=None, reply_to=None,
                  content_type='application/json'):
    m = Message()
    if msg_id is AUTO:
        m.id = f'conformance-{uuid.uuid4()}'
    elif msg_id is not None:
        m.id = msg_id
    if correlation_id is not None:
        m.correlation_id = correlation_id
    if subject is not None:
        m.subject = subject
    if reply_to is not None:
        m.reply_to = reply_to
    if content_type is not None:
        m.content_type = symbol(content_type)
    if props:
        m.properties = dict(props)
    if isinstance(body, AmqpValue):
        m.inferred = False
        m.body = body.value
    elif body is NOTSET or body is None:
        m.body = None
    else:
        m.inferred = True
        m.body = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
    return m


class RR:
    """A request/response pair of links: receiver on the reply address first, then the sender (§2.2)."""

    def __init__(self, client, target, reply=None):
        self.client = client
        self.target = target
        self.reply = reply or f'{target}/{uuid.uuid4()}'
        self.receiver = client.receiver(self.reply)
        check(not Amqp.refused(self.receiver), f'reply link {self.reply} refused: {self.receiver.remote_condition}')
        self.sender = client.sender(target)
        check(not Amqp.refused(self.sender), f'request link {target} refused: {self.sender.remote_condition}')

    def send(self, message):
        snd = self.sender
        wait_for(lambda: snd.credit > 0 or Amqp.refused(snd) or self.client.failed, f'credit on {self.target}')
        check(snd.credit > 0, f'no credit on {self.target}: {snd.remote_condition}')
        dlv = snd.delivery(f'd-{uuid.uuid4()}')
        snd.send(message.encode())
        snd.advance()
        return dlv.tag

    def outcome(self, tag):
        client = self.client
        wait_for(lambda: tag in client.outcomes or client.failed, 'the disposition of the request')
        check(tag in client.outcomes, 'the connection failed before the request was settled')
        state, cond = client.outcomes.pop(tag)
        return OUTCOMES.get(state, str(state)), cond

    def wait_response(self, expected_id, timeout=MAX_WAIT):
        found = []

        def arrived():
            for m in self.client.messages(self.receiver):
                if m.correlation_id == expected_id and type(m.correlation_id) is type(expected_id):
                    found.append(m)
                    return True
            return False
        wait_for(lambda: arrived() or self.client.failed, 'the response', timeout)
        check(found, 'no response')
        self.client.inbox[self.receiver.name].remove(found[0])
        return found[0]

    def request(self, subject, body=NOTSET, props=None, msg_id=AUTO, correlation_id=None, reply_to=AUTO,
                content_type='application/json', wait_response=True):
        m = build_request(subject, body, props, msg_id, correlation_id, self.reply if reply_to is AUTO else reply_to,
                          content_type)
        started = time.monotonic()
        tag = self.send(m)
        outcome, cond = self.outcome(tag)
        response = None
        if outcome == 'accepted' and wait_response:
            expected = m.correlation_id if m.correlation_id is not None else m.id
            response = self.wait_response(expected)
        return Result(outcome, cond, response, time.monotonic() - started, m)

    def call(self, subject, body=NOTSET, props=None, **kw):
        """A request that must be accepted and answered."""
        r = self.request(subject, body, props, **kw)
        check(r.outcome == 'accepted', f'{subject} on {self.target}: expected accepted, got {r.describe()}')
        return r


def expect_status(r, status, what):
    check(r.outcome == 'accepted' and r.response is not None, f'{what}: expected status {status}, got {r.describe()}')
    check(r.status == status, f'{what}: expected status {status}, got {r.describe()}')
    return r


def expect_rejected(r, condition, what):
    check(r.outcome == 'rejected', f'{what}: expected rejected {condition}, got {r.describe()}')
    name = r.condition.name if r.condition is not None else None
    eq(name, condition, f'{what}: rejection condition')
    check(r.response is None, f'{what}: a rejected request must not be answered')


# --------------------------------------------------------------------------------------------
# Raw SASL probe (frames encoded with proton's codec, exchanged over a plain socket)
# --------------------------------------------------------------------------------------------

def _recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f'connection closed after {len(buf)} of {n} bytes')
        buf += chunk
    return buf


def _read_frame(sock):
    size, doff, ftype, _channel = struct.unpack('>IBBH', _recv_exact(sock, 8))
    body = _recv_exact(sock, size - 8)[(doff * 4 - 8):]
    d = Data()
    d.decode(body)
    d.rewind()
    d.next()
    return ftype, d.get_object()


def _sasl_frame(descriptor, fields):
    d = Data()
    d.put_described()
    d.enter()
    d.put_ulong(descriptor)
    d.put_list()
    d.enter()
    for f in fields:
        d.put_object(f)
    d.exit()
    d.exit()
    body = d.encode()
    return struct.pack('>IBBH', 8 + len(body), 2, 1, 0) + body


def sasl_probe(port, mechanism=None, initial=b'', header=b'AMQP\x03\x01\x00\x00'):
    """Returns (server header, offered mechanisms, outcome code or None if the socket closed)."""
    with socket.create_connection(('127.0.0.1', port), timeout=remaining(3.0) or 0.1) as sock:
        sock.sendall(header)
        try:
            server_header = _recv_exact(sock, 8)
        except (EOFError, OSError) as err:
            return None, None, f'closed: {err}'
        if server_header != b'AMQP\x03\x01\x00\x00':
            return server_header, None, None
        _, mechs_frame = _read_frame(sock)
        offered = mechs_frame.value[0] if isinstance(mechs_frame, Described) else None
        if isinstance(offered, Array):
            offered = [str(x) for x in offered.elements]
        elif offered is not None:
            offered = [str(offered)]
        if mechanism is None:
            return server_header, offered, None
        sock.sendall(_sasl_frame(0x41, [symbol(mechanism), initial]))
        try:
            _, outcome = _read_frame(sock)
        except (EOFError, OSError) as err:
            return server_header, offered, f'closed: {err}'
        return server_header, offered, int(outcome.value[0])


# --------------------------------------------------------------------------------------------
# Processes: redis-server and the registry
# --------------------------------------------------------------------------------------------

CHILDREN = []
TMP = []


def _die_with_parent():
    try:
        libc = ctypes.CDLL('libc.so.6', use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def spawn(args, **kw):
    p = subprocess.Popen(args, preexec_fn=_die_with_parent, **kw)
    CHILDREN.append(p)
    return p


def cleanup():
    for p in reversed(CHILDREN):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=3)
            except Exception:
                pass
    CHILDREN.clear()
    for d in TMP:
        shutil.rmtree(d, ignore_errors=True)
    TMP.clear()


def bcrypt_hash(password):
    salt = crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16).replace('$2b$', '$2a$', 1)  # cost 04, Hono's $2a$
    h = crypt.crypt(password, salt)
    if not h or not h.startswith('$2a$04$'):
        raise RuntimeError('crypt() cannot make bcrypt hashes here')
    return h


def accounts_file():
    role_manager = [
        {'resource': 'registration/DEFAULT_TENANT', 'activities': ['READ', 'WRITE']},
        {'resource': 'credentials/DEFAULT_TENANT', 'activities': ['READ', 'WRITE']},
        {'resource': 'tenant', 'activities': ['READ', 'WRITE']},
        {'operation': 'registration/DEFAULT_TENANT:*', 'activities': ['EXECUTE']},
        {'operation': 'credentials/DEFAULT_TENANT:*', 'activities': ['EXECUTE']},
        {'operation': 'tenant/DEFAULT_TENANT:*', 'activities': ['EXECUTE']},
        {'operation': 'tenant/NON_EXISTING_TENANT:*', 'activities': ['EXECUTE']},
    ]
    role_adapter = [  # Hono's permissions.json protocol-adapter role (+ device_con for 1.x adapters)
        {'resource': 'tenant', 'activities': ['READ', 'WRITE']},
        {'resource': 'registration/*', 'activities': ['READ', 'WRITE']},
        {'resource': 'credentials/*', 'activities': ['READ', 'WRITE']},
        {'resource': 'device_con/*', 'activities': ['READ', 'WRITE']},
        {'operation': 'tenant/*:*', 'activities': ['EXECUTE']},
        {'operation': 'registration/*:assert', 'activities': ['EXECUTE']},
        {'operation': 'credentials/*:get', 'activities': ['EXECUTE']},
        {'operation': 'device_con/*:*', 'activities': ['EXECUTE']},
    ]
    role_admin = [{'resource': '*', 'activities': ['READ', 'WRITE']}, {'operation': '*:*', 'activities': ['EXECUTE']}]
    return {
        'roles': {'DEFAULT_TENANT-manager': role_manager, 'protocol-adapter': role_adapter, 'admin': role_admin},
        'users': {
            'hono-client': {'mechanism': 'PLAIN', 'password-hash': bcrypt_hash(USERS['hono-client']),
                            'authorities': ['DEFAULT_TENANT-manager']},
            ADAPTER: {'mechanism': 'PLAIN', 'password-hash': bcrypt_hash(USERS[ADAPTER]), 'authorities': ['protocol-adapter']},
            'admin': {'mechanism': 'PLAIN', 'password-hash': bcrypt_hash(USERS['admin']), 'authorities': ['admin']},
        },
    }


class Instance:
    def __init__(self, name, profile, env, accounts, anonymous, cache, credit, idle, assertion):
        self.name, self.profile, self.env, self.accounts, self.anonymous = name, profile, env, accounts, anonymous
        self.cache, self.credit, self.idle, self.assertion = cache, credit, idle, assertion
        self.proc = None
        self.http_port = self.amqp_port = None
        self.data_dir = self.log_path = None
        self.error = None
        self.clients = []
        self.responses = []
        self.users = dict(USERS)
        self.keys = {}


INSTANCES = [
    Instance('legacy', 'legacy', {'REGISTRY_ASSERTION_SECRET': ASSERTION_SECRET,
                                  'REGISTRY_ASSERTION_LIFETIME': str(ASSERTION_LIFETIME)},
             accounts=True, anonymous=False, cache=180, credit=100, idle=30.0, assertion=True),
    Instance('1.x', '1.x', {'REGISTRY_HONO_API': '1.x', 'REGISTRY_AMQP_ANONYMOUS': 'true',
                            'REGISTRY_CACHE_MAX_AGE': '120', 'REGISTRY_AMQP_CREDIT': '20',
                            'REGISTRY_AMQP_IDLE_TIMEOUT_MS': '10000', 'REGISTRY_ASSERTION_SECRET': ASSERTION_SECRET},
             accounts=True, anonymous=True, cache=120, credit=20, idle=10.0, assertion=False),
    Instance('legacy-first-start', 'legacy', {'REGISTRY_CACHE_MAX_AGE': '0'},
             accounts=False, anonymous=False, cache=0, credit=100, idle=30.0, assertion=False),
]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def redis_command(port, *args, timeout=2.0):
    """One command through redis-cli; its reply text, or None when the node does not answer."""
    try:
        out = subprocess.run(['redis-cli', '-h', '127.0.0.1', '-p', str(port), *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return out.stdout if out.returncode == 0 else None


def spawn_redis(d, port, *extra):
    os.makedirs(d)
    spawn(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', d, *extra],
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if (redis_command(port, 'PING') or '').strip() == 'PONG':
            return port
        time.sleep(0.03)
    raise RuntimeError('redis-server did not start')


def start_redis(tmp):
    return spawn_redis(os.path.join(tmp, 'redis'), free_port())


def start_cluster(tmp, name):
    """A 3-master Redis Cluster of its own for one registry (TEST_REDIS=cluster); its seed list."""
    ports = []
    for i in range(3):
        port = free_port()
        spawn_redis(os.path.join(tmp, f'cluster-{name}-{i}'), port, '--cluster-enabled', 'yes', '--cluster-port', str(free_port()),
                    '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000')
        ports.append(port)
    subprocess.run(['redis-cli', '--cluster', 'create', *[f'127.0.0.1:{p}' for p in ports], '--cluster-replicas', '0', '--cluster-yes'],
                   check=True, capture_output=True, timeout=60)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        if all('cluster_state:ok' in (redis_command(p, 'CLUSTER', 'INFO') or '') for p in ports):
            return ','.join(f'127.0.0.1:{p}' for p in ports)
        time.sleep(0.1)
    raise RuntimeError(f'cluster for {name} did not reach cluster_state:ok')


def start_registry(inst, tmp, redis_port, db, main_js=MAIN_JS):
    """redis_port: a port (the instance uses its database `db` there) or a cluster seed list."""
    inst.data_dir = os.path.join(tmp, f'data-{inst.name}')
    os.makedirs(inst.data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith('REGISTRY_')}
    env.update({
        'REGISTRY_HTTP_PORT': '0', 'REGISTRY_AMQP_PORT': '0',
        'REGISTRY_DATA_DIR': inst.data_dir, 'REGISTRY_BCRYPT_COST': '4', 'REGISTRY_HTTP_AUTH': 'none', 'REGISTRY_LOG_LEVEL': 'info',
    })
    if isinstance(redis_port, str):
        env['REGISTRY_REDIS_CLUSTER_NODES'] = redis_port
    else:
        env['REGISTRY_REDIS_URL'] = f'redis://127.0.0.1:{redis_port}/{db}'
    env.update(inst.env)
    if inst.accounts:
        path = os.path.join(tmp, f'accounts-{inst.name}.json')
        with open(path, 'w') as f:
            json.dump(accounts_file(), f)
        env['REGISTRY_AMQP_ACCOUNTS_FILE'] = path
    inst.log_path = os.path.join(tmp, f'registry-{inst.name}.log')
    log = open(inst.log_path, 'wb')
    inst.proc = spawn(['node', main_js], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()


def wait_registry(inst):
    end = time.monotonic() + 20
    while time.monotonic() < end:
        with open(inst.log_path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            msg = entry.get('msg', '')
            if msg == 'HTTP management API listening':
                inst.http_port = int(entry['address'].rsplit(':', 1)[1])
            if 'AMQP 1.0 listening' in msg:
                inst.amqp_port = int(entry['address'].rsplit(':', 1)[1])
        if inst.http_port and inst.amqp_port:
            return
        if inst.proc.poll() is not None:
            raise RuntimeError(f'registry {inst.name} exited with {inst.proc.returncode}: ' + ' | '.join(lines[-5:]))
        time.sleep(0.05)
    raise RuntimeError(f'registry {inst.name} did not report "AMQP 1.0 listening" within 20 s')


def stop_registry(inst):
    p = inst.proc
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=3)


# --------------------------------------------------------------------------------------------
# HTTP provisioning and fixture
# --------------------------------------------------------------------------------------------

def http(inst, method, path, body=None):
    data = None if body is None else json.dumps(body).encode('utf-8')
    headers = {} if body is None else {'Content-Type': 'application/json'}
    req = urllib.request.Request(f'http://127.0.0.1:{inst.http_port}{path}', data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            text = resp.read().decode('utf-8')
            return resp.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as err:
        text = err.read().decode('utf-8', 'replace')
        return err.code, text


def provision(inst, method, path, body=None, expect=(200, 201, 204)):
    status, answer = http(inst, method, path, body)
    if status not in expect:
        raise RuntimeError(f'provisioning {method} {path} answered {status}: {answer}')
    return answer


def openssl_public_key(kind):
    """Base64 DER SubjectPublicKeyInfo of a fresh key made by openssl (RSA 2048 or EC P-256)."""
    if kind == 'RSA':
        gen = ['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']
    else:
        gen = ['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
    private = subprocess.run(gen, check=True, capture_output=True, timeout=20).stdout
    der = subprocess.run(['openssl', 'pkey', '-pubout', '-outform', 'DER'], input=private, check=True,
                         capture_output=True, timeout=20).stdout
    return base64.b64encode(der).decode()


def make_keys():
    return {'rsa': openssl_public_key('RSA'), **{f'ec{i}': openssl_public_key('EC') for i in range(1, 5)}}


DEVICES = {
    'DEFAULT_TENANT': {
        '4711': {'enabled': True},
        'disabled-device': {'enabled': False},
        'gw-1': {'enabled': True},
        '4712': {'enabled': True, 'via': 'gw-1'},
        '4713': {'enabled': True, 'via': 'gw-2'},
        'gw-2': {'enabled': False},
        'gw-3': {'enabled': True},
        '4714': {'enabled': True, 'via': ['gw-3', 'gw-1']},
        'no-enabled-flag': {'manufacturer': 'ACME'},
        'with-defaults': {'enabled': True, 'defaults': {'content-type': 'application/vnd.acme+json', 'ttl': 30,
                                                        'custom': {'a': [1, 2, {'b': None}]}}},
        'disabled-via-gw1': {'enabled': False, 'via': 'gw-1'},
        'grouped': {'enabled': True, 'viaGroups': ['g1']},
        'gw-g1a': {'enabled': True, 'memberOf': ['g1']},
        'gw-g1b': {'enabled': True, 'memberOf': ['g1']},
    },
    'TENANT_B': {
        'only-in-b': {'enabled': True},
        '4711': {'enabled': True, 'defaults': {'origin': 'tenant-b'}},
    },
}

CREDENTIALS = {
    'DEFAULT_TENANT': [
        {'device-id': '4711', 'type': 'hashed-password', 'auth-id': 'sensor1', 'enabled': True, 'secrets': SENSOR1_SECRETS},
        {'device-id': '4711', 'type': 'hashed-password', 'auth-id': 'sensor2', 'enabled': True,
         'secrets': [sha256_secret('hono-secret')]},
        {'device-id': '4711', 'type': 'psk', 'auth-id': 'little-sensor2', 'enabled': False,
         'secrets': [{'key': 'c2VjcmV0S2V5'}]},
        {'device-id': 'gw-1', 'type': 'hashed-password', 'auth-id': 'gw', 'enabled': True, 'client-id': 'gateway-one',
         'secrets': [sha256_secret('gw-secret')]},
        {'device-id': '4712', 'type': 'psk', 'auth-id': 'psk-sensor', 'enabled': True, 'secrets': [{'key': 'c2VjcmV0S2V5'}]},
        {'device-id': '4711', 'type': 'x509-cert', 'auth-id': 'CN=device-1, O=ACME Corporation', 'enabled': True,
         'secrets': [{}]},
        {'device-id': '4711', 'type': 'hashed-password', 'auth-id': 'partly-disabled', 'enabled': True,
         'secrets': [dict(sha256_secret('old'), enabled=False), sha256_secret('new')]},
        {'device-id': '4711', 'type': 'hashed-password', 'auth-id': 'all-disabled', 'enabled': True,
         'secrets': [dict(sha256_secret('old'), enabled=False)]},
    ],
    'TENANT_B': [
        {'device-id': 'b-device', 'type': 'hashed-password', 'auth-id': 'sensor1', 'enabled': True,
         'secrets': [sha256_secret('b-secret')]},
        {'device-id': 'b-device', 'type': 'hashed-password', 'auth-id': 'only-in-b', 'enabled': True,
         'secrets': [sha256_secret('b-secret')]},
    ],
}


def provision_fixture(inst, keys):
    inst.keys = keys
    provision(inst, 'PUT', '/tenant/DEFAULT_TENANT', {
        'enabled': True, 'plan': 'gold', 'custom': {'nested': [1, 'two']},
        'trusted-ca': {'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': keys['rsa']}})
    provision(inst, 'POST', '/tenant', {
        'tenant-id': 'HTTP_ONLY', 'adapters': [{'type': 'hono-http', 'enabled': True, 'device-authentication-required': True}],
        'trusted-ca': {'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse', 'public-key': keys['ec1'], 'type': 'EC'}})
    provision(inst, 'POST', '/tenant', {'tenant-id': 'MQTT_ONLY', 'adapters': [{'type': 'hono-mqtt', 'enabled': True}]})
    provision(inst, 'POST', '/tenant', {'tenant-id': 'DISABLED_TENANT', 'enabled': False})
    provision(inst, 'POST', '/tenant', {'tenant-id': 'TENANT_B'})
    provision(inst, 'POST', '/tenant', {'tenant-id': 'CA_TENANT', 'trusted-ca': [
        {'subject-dn': 'CN=ca-expired,O=Conformance', 'public-key': keys['ec2'], 'algorithm': 'EC',
         'not-before': '2015-01-01T00:00:00Z', 'not-after': '2020-01-01T00:00:00Z'},
        {'subject-dn': 'CN=ca-current,O=Conformance', 'public-key': keys['ec3'], 'algorithm': 'EC',
         'not-before': '2020-01-01T00:00:00Z', 'not-after': '2099-01-01T00:00:00+01:00'},
        {'subject-dn': 'CN=ca-future,O=Conformance', 'public-key': keys['rsa'], 'algorithm': 'RSA',
         'not-before': '2098-01-01T00:00:00Z'},
    ]})
    for tenant, devices in DEVICES.items():
        for device_id, data in devices.items():
            provision(inst, 'POST', f'/registration/{tenant}', dict(data, **{'device-id': device_id}))
    for tenant, records in CREDENTIALS.items():
        for record in records:
            provision(inst, 'POST', f'/credentials/{tenant}', record)


# --------------------------------------------------------------------------------------------
# Test context
# --------------------------------------------------------------------------------------------

class T:
    """What a case gets: the registry instance and helpers."""

    def __init__(self, inst):
        self.inst = inst
        self.profile = inst.profile
        self.legacy = inst.profile == 'legacy'
        self.notes = []

    def note(self, text):
        self.notes.append(text)

    def client(self, user=ADAPTER, **kw):
        if user == 'anonymous':
            return Amqp(self.inst.amqp_port, mechs='ANONYMOUS', registry=self.inst, **kw)
        if user is None:
            return Amqp(self.inst.amqp_port, registry=self.inst, **kw)
        return Amqp(self.inst.amqp_port, user=user, password=self.inst.users[user], registry=self.inst, **kw)

    def rr(self, target, user=ADAPTER, client=None):
        return (client or self.client(user)).rr(target)

    def http(self, method, path, body=None):
        return http(self.inst, method, path, body)

    def tenant_get(self, body=NOTSET, props=None, user=ADAPTER):
        return self.rr('tenant', user).request('get', body, props)

    def assert_device(self, device, gateway=None, tenant='DEFAULT_TENANT', user=ADAPTER, rr=None):
        props = {'device_id': device}
        if gateway is not None:
            props['gateway_id'] = gateway
        return (rr or self.rr(f'registration/{tenant}', user)).request('assert', props=props)

    def credentials_get(self, body, tenant='DEFAULT_TENANT', user=ADAPTER, rr=None):
        return (rr or self.rr(f'credentials/{tenant}', user)).request('get', body)


def uid(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:10]}'


ISO_8601 = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$')
CACHE_RE = re.compile(r'^(no-cache|max-age=([1-9]\d*))$')


def is_amqp_int(value):
    """proton 0.37 decodes AMQP int (0x71 / smallint 0x54) to proton.int32, uint to proton.uint, long to plain int."""
    return type(value).__name__ == 'int32'


WIRE_TYPES = {Data.NULL: 'null', Data.INT: 'int', Data.UINT: 'uint', Data.LONG: 'long', Data.ULONG: 'ulong',
              Data.DOUBLE: 'double', Data.UUID: 'uuid', Data.BINARY: 'binary', Data.STRING: 'string',
              Data.SYMBOL: 'symbol', Data.SHORT: 'short'}


def _sections(raw):
    """(descriptor, Data positioned on the section's value) for each section of an encoded message."""
    pos = 0
    while pos < len(raw):
        d = Data()
        n = d.decode(raw[pos:])
        if n <= 0:
            return
        pos += n
        d.rewind()
        d.next()
        if d.type() != Data.DESCRIBED:
            continue
        d.enter()
        d.next()
        descriptor = d.get_object()
        d.next()
        yield int(descriptor), d


def wire_correlation_id(msg):
    """(AMQP type name, value) of the correlation-id as encoded on the wire (properties field 5)."""
    for descriptor, d in _sections(msg.raw):
        if descriptor == 0x73:
            d.enter()
            for _ in range(6):
                if not d.next():
                    return None
            return WIRE_TYPES.get(d.type(), str(d.type())), d.get_object()
    return None


def wire_app_property_type(msg, name):
    """AMQP type name of an application property as encoded on the wire."""
    for descriptor, d in _sections(msg.raw):
        if descriptor == 0x74:
            d.enter()
            while d.next():
                key = d.get_object()
                d.next()
                if key == name:
                    return WIRE_TYPES.get(d.type(), str(d.type()))
    return None


# ============================================================================================
# A. Connection & links
# ============================================================================================

@case('A1a', 'SASL PLAIN with a configured user succeeds')
def a1a(t):
    for user in ('hono-client', ADAPTER, 'admin'):
        c = t.client(user)
        check(c.is_open, f'{user} could not connect')
    c = t.client(ADAPTER)
    _, offered, _ = sasl_probe(t.inst.amqp_port)
    check('PLAIN' in (offered or []), f'PLAIN must be offered, offered: {offered}')
    return f'offered mechanisms {offered}'


@case('A1b', 'SASL PLAIN with a wrong password or unknown user fails with SASL outcome auth (1)')
def a1b(t):
    details = []
    for user, password in (('hono-client', 'wrong-password'), ('no-such-user', 'secret')):
        c = Amqp(t.inst.amqp_port, user=user, password=password, expect_open=False, registry=t.inst)
        c.wait_refused(f'the login of {user} to fail', timeout=4.5)
        check(c.remote_opened_at is None, f'{user} with a wrong password got an open frame')
        eq(c.sasl_outcome, SASL.AUTH, f'SASL outcome for {user}')
        details.append(f'{user}: outcome {c.sasl_outcome}')
    return '; '.join(details)


@case('A1c', 'an unknown SASL mechanism is refused (raw sasl-init naming CRAM-MD5)')
def a1c(t):
    _, offered, outcome = sasl_probe(t.inst.amqp_port, 'CRAM-MD5', b'')
    check(outcome != 0 and outcome is not None, f'unknown mechanism accepted (outcome {outcome!r})')
    return f'outcome {outcome!r}'


@case('A1d', 'a client without SASL (plain AMQP protocol header) is refused: no AMQP open, the socket is closed')
def a1d(t):
    with socket.create_connection(('127.0.0.1', t.inst.amqp_port), timeout=remaining(2.0)) as sock:
        sock.sendall(b'AMQP\x00\x01\x00\x00')
        try:
            header = _recv_exact(sock, 8)
        except (EOFError, OSError):
            header = None
        check(header != b'AMQP\x00\x01\x00\x00', 'the registry accepted the plain AMQP protocol header')
        check(header in (None, b'AMQP\x03\x01\x00\x00'), f'unexpected answer {header!r}')
        sock.settimeout(0.3)
        rest = b''
        try:
            while len(rest) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
        except OSError:
            pass
    if len(rest) >= 8:
        ftype = rest[5]
        check(ftype != 0, f'an AMQP frame followed the header: {rest[:32].hex()}')
    c = Amqp(t.inst.amqp_port, sasl=False, expect_open=False, registry=t.inst)
    wait_for(lambda: c.failed or c.is_open, 'the proton connection attempt without SASL to end', timeout=2)
    check(not c.is_open, 'the registry opened an AMQP connection without SASL')
    answer = 'closed the socket without a header' if header is None else f'answered {header!r} (+{len(rest)} bytes)'
    return f'registry {answer}; proton without SASL: {c.transport_condition}'


@case('A1e', 'first start without an accounts file creates protocol-adapter@HONO; its generated password works',
      instances=('legacy-first-start',))
def a1e(t):
    accounts = os.path.join(t.inst.data_dir, 'amqp-accounts.json')
    password_file = os.path.join(t.inst.data_dir, 'amqp-adapter-password')
    check(os.path.exists(accounts) and os.path.exists(password_file), 'accounts/password file not created')
    eq(oct(os.stat(password_file).st_mode & 0o777), oct(0o600), 'password file mode')
    with open(accounts) as f:
        users = json.load(f)['users']
    check(ADAPTER in users, f'accounts file users: {list(users)}')
    with open(password_file) as f:
        eq(f.read().strip(), t.inst.users[ADAPTER], 'password used by the suite')
    r = t.tenant_get({'tenant-id': 'DEFAULT_TENANT'})
    expect_status(r, 200, 'tenant get as the generated account')
    bad = Amqp(t.inst.amqp_port, user=ADAPTER, password='not-the-password', expect_open=False, registry=t.inst)
    bad.wait_refused(timeout=4)
    eq(bad.sasl_outcome, SASL.AUTH, 'SASL outcome with a wrong password')


@case('A2', 'SASL ANONYMOUS is refused unless REGISTRY_AMQP_ANONYMOUS=true')
def a2(t):
    _, offered, _ = sasl_probe(t.inst.amqp_port)
    c = t.client('anonymous', expect_open=False)
    wait_for(lambda: c.is_open or c.failed, 'the ANONYMOUS login to end', timeout=4)
    if t.inst.anonymous:
        check('ANONYMOUS' in offered, f'ANONYMOUS enabled but not offered: {offered}')
        check(c.is_open, f'ANONYMOUS refused although enabled: {c.transport_condition}')
        expect_status(t.rr('tenant', client=c).request('get', {'tenant-id': 'DEFAULT_TENANT'}), 200, 'tenant get as ANONYMOUS')
        return f'enabled: offered {offered}, login and tenant get succeed'
    check('ANONYMOUS' not in offered, f'ANONYMOUS offered although disabled: {offered}')
    check(not c.is_open, 'ANONYMOUS login succeeded although disabled')
    _, _, outcome = sasl_probe(t.inst.amqp_port, 'ANONYMOUS', b'anonymous')
    check(outcome != 0, f'raw sasl-init ANONYMOUS got outcome {outcome!r}')
    return f'disabled: offered {offered}; raw ANONYMOUS init → {outcome!r}'


@case('A3', 'the registry advertises its idle timeout and keeps a 1.5 s idle-timeout client alive through 3.5 s of silence',
      budget=7.0)
def a3(t):
    c = t.client(idle=1.5)
    advertised = c.conn.transport.remote_idle_timeout
    eq(advertised, t.inst.idle, 'idle-time-out advertised in the open frame (seconds)')
    rr = c.rr('tenant')
    pump(3.5)
    check(c.is_open, f'connection dropped while idle: {c.transport_condition}')
    expect_status(rr.request('get', {'tenant-id': 'DEFAULT_TENANT'}), 200, 'request after the idle period')
    return (f'advertised {advertised} s (REGISTRY_AMQP_IDLE_TIMEOUT_MS); a client with a 1.5 s idle timeout survived '
            '3.5 s without traffic, so the registry sent empty frames; the 16 s / 60 s scenario is not waited for')


@case('A4', 'reply receiver and request sender attach; the registry echoes source and target')
def a4(t):
    c = t.client()
    reply = f'registration/DEFAULT_TENANT/{uuid.uuid4()}'
    r = c.receiver(reply, settle=0.05)
    check(not Amqp.refused(r), f'receiver refused: {r.remote_condition}')
    eq(r.remote_source.address, reply, 'echoed source of the reply link')
    s = c.sender('registration/DEFAULT_TENANT', settle=0.05)
    check(not Amqp.refused(s), f'sender refused: {s.remote_condition}')
    eq(s.remote_target.address, 'registration/DEFAULT_TENANT', 'echoed target of the request link')
    for target in ('tenant', 'credentials/DEFAULT_TENANT', 'device_con/DEFAULT_TENANT'):
        s2 = c.sender(target, settle=0.05)
        check(not Amqp.refused(s2), f'sender {target} refused: {s2.remote_condition}')
        eq(s2.remote_target.address, target, f'echoed target of {target}')
    return f'max frame size advertised: {c.conn.transport.remote_max_frame_size}'


@case('A5', 'the registry grants the configured credit (≥ 1) with the attach of the request link, unprompted')
def a5(t):
    c = t.client()
    s = c.sender('registration/DEFAULT_TENANT', wait=False)
    wait_for(lambda: s.state & (Endpoint.REMOTE_ACTIVE | Endpoint.REMOTE_CLOSED), 'the attach')
    attached = time.monotonic()
    credit_now = s.credit
    # The client sends nothing after the attach: credit that comes is granted with the attach, not
    # in answer to anything. Its delay is reported, not asserted (Hono's clients wait 20 ms).
    wait_for(lambda: s.credit > 0, 'credit')
    delay_ms = (time.monotonic() - attached) * 1000
    eq(s.credit, t.inst.credit, 'initial credit (REGISTRY_AMQP_CREDIT)')
    return f'credit {s.credit} (present when the attach was processed: {credit_now > 0}, delay {delay_ms:.1f} ms, not asserted)'


@case('A6', 'credit is re-issued after every response and rejection: 500 sequential requests on one link complete',
      budget=10.0)
def a6(t):
    rr = t.rr('registration/DEFAULT_TENANT')
    initial = t.inst.credit
    for i in range(500):
        if i % 50 == 49:
            r = rr.request('assert', props={})  # no device_id: rejected, must also return the credit
            expect_rejected(r, 'hono:bad-request', f'request {i}')
        else:
            expect_status(rr.request('assert', props={'device_id': '4711'}), 200, f'request {i}')
    wait_for(lambda: rr.sender.credit == initial, f'credit back at {initial}', timeout=1)
    # a full window in flight at once
    tags = [rr.send(build_request('assert', props={'device_id': '4711'}, reply_to=rr.reply)) for _ in range(initial)]
    for tag in tags:
        eq(rr.outcome(tag)[0], 'accepted', 'outcome of a pipelined request')
    wait_for(lambda: len(c_msgs(rr)) >= initial, f'{initial} pipelined responses')
    wait_for(lambda: rr.sender.credit == initial, f'credit back at {initial} after the pipelined window', timeout=1)
    return f'500 sequential (10 of them rejected) + {initial} pipelined requests answered; credit back at {initial}'


def c_msgs(rr):
    return rr.client.messages(rr.receiver)


@case('A7', 'attaching to an unknown endpoint closes the link with amqp:not-found')
def a7(t):
    c = t.client('admin')
    c.expect_refusal(c.sender('foo/DEFAULT_TENANT'), 'amqp:not-found', 'sender to foo/DEFAULT_TENANT')
    c.expect_refusal(c.receiver('foo/DEFAULT_TENANT/r1'), 'amqp:not-found', 'receiver from foo/DEFAULT_TENANT/r1')
    check(c.is_open, 'the connection must survive a link refusal')


@case('A8', 'a sender link with a null target (anonymous relay) is closed with amqp:not-allowed')
def a8(t):
    c = t.client('admin')
    c.expect_refusal(c.sender(None, null_target=True), 'amqp:not-allowed', 'sender with a target without address')
    c.expect_refusal(c.sender(None, no_terminus=True), 'amqp:not-allowed', 'sender without target terminus')


@case('A9', 'a pre-settled (at-most-once) sender link is closed with amqp:precondition-failed')
def a9(t):
    c = t.client()
    c.expect_refusal(c.sender('registration/DEFAULT_TENANT', settled=True), 'amqp:precondition-failed',
                     'pre-settled sender')


@case('A10', 'reply address registration/T (2 segments) → amqp:invalid-field; tenant/x (2 segments) is valid')
def a10(t):
    c = t.client()
    for addr in ('registration/DEFAULT_TENANT', 'credentials/DEFAULT_TENANT', 'device_con/DEFAULT_TENANT', 'tenant'):
        c.expect_refusal(c.receiver(addr), 'amqp:invalid-field', f'reply link {addr}')
    ok = c.receiver(f'tenant/{uuid.uuid4()}', settle=0.05)
    check(not Amqp.refused(ok), f'tenant/<id> refused: {ok.remote_condition}')


@case('A11', 'a second link on an already subscribed reply address is closed with amqp:illegal-state')
def a11(t):
    c = t.client()
    addr = f'registration/DEFAULT_TENANT/{uuid.uuid4()}'
    first = c.receiver(addr, settle=0.05)
    check(not Amqp.refused(first), f'first reply link refused: {first.remote_condition}')
    c.expect_refusal(c.receiver(addr), 'amqp:illegal-state', 'second link on the same connection')
    other = t.client()
    other.expect_refusal(other.receiver(addr), 'amqp:illegal-state', 'link on another connection')
    check(not Amqp.refused(first), 'the first reply link must stay attached')


@case('A12', 'a request whose reply-to has no subscribed link is rejected with amqp:illegal-state and not answered')
def a12(t):
    rr = t.rr('registration/DEFAULT_TENANT')
    r = rr.request('assert', props={'device_id': '4711'}, reply_to=f'registration/DEFAULT_TENANT/{uuid.uuid4()}')
    expect_rejected(r, 'amqp:illegal-state', 'unsubscribed reply-to')
    # a reply link on another connection does not count either (1.0 behaviour, §2.2)
    other = t.client()
    foreign = f'registration/DEFAULT_TENANT/{uuid.uuid4()}'
    other.receiver(foreign)
    r2 = rr.request('assert', props={'device_id': '4711'}, reply_to=foreign)
    expect_rejected(r2, 'amqp:illegal-state', 'reply-to subscribed on another connection')
    pump(0.2)
    check(not c_msgs(rr) and not other.inbox, 'a response was sent for a rejected request')
    wait_for(lambda: rr.sender.credit == t.inst.credit, 'the credit to come back', timeout=1)


@case('A13', 'links without READ/WRITE permission are closed with amqp:unauthorized-access')
def a13(t):
    c = t.client('hono-client')  # DEFAULT_TENANT-manager: registration/credentials of DEFAULT_TENANT only
    checks = [
        ('sender', 'registration/HTTP_ONLY'), ('receiver', f'registration/HTTP_ONLY/{uuid.uuid4()}'),
        ('sender', 'credentials/TENANT_B'), ('receiver', f'credentials/TENANT_B/{uuid.uuid4()}'),
        ('sender', 'device_con/DEFAULT_TENANT'),
    ]
    for kind, addr in checks:
        link = c.sender(addr) if kind == 'sender' else c.receiver(addr)
        c.expect_refusal(link, 'amqp:unauthorized-access', f'{kind} {addr}')
    allowed = c.rr('registration/DEFAULT_TENANT')
    expect_status(allowed.request('assert', props={'device_id': '4711'}), 200, 'permitted assert')


@case('A14', 'closing a link, closing the connection or dropping the socket frees the reply address for reuse')
def a14(t):
    addr = f'registration/DEFAULT_TENANT/{uuid.uuid4()}'
    c1 = t.client()
    link = c1.receiver(addr, settle=0.05)
    check(not Amqp.refused(link), 'first attach refused')
    link.close()
    wait_for(lambda: link.state & Endpoint.REMOTE_CLOSED, 'the detach to be confirmed')
    again = c1.receiver(addr, settle=0.05)
    check(not Amqp.refused(again), f'reattach after detach refused: {again.remote_condition}')
    c1.close()
    c2 = t.client()
    rr = c2.rr('registration/DEFAULT_TENANT', reply=addr)
    expect_status(rr.request('assert', props={'device_id': '4711'}), 200, 'assert on the reused reply address')
    # a client that vanishes without a close frame
    c2.abort()
    # Until the registry notices the dropped socket the address is refused; it must become free
    # within the case's budget (the delay is reported, not asserted).
    started = time.monotonic()
    while True:
        c3 = t.client()
        link = c3.receiver(addr, settle=0.05)
        if not Amqp.refused(link):
            break
        eq(link.remote_condition and link.remote_condition.name, 'amqp:illegal-state', 'refusal while the old link lingers')
        check(remaining(MAX_WAIT) > 0, 'the reply address stayed taken until the end of the case budget after the socket was dropped')
        c3.close()
        pump(0.1)
    return f'reusable {1000 * (time.monotonic() - started):.0f} ms after the socket was dropped (not asserted)'


# ============================================================================================
# B. Generic request/response
# ============================================================================================

@case('B15', 'correlation-id echoes the string message-id, or the request correlation-id when set')
def b15(t):
    rr = t.rr('tenant')
    r = rr.call('get', {'tenant-id': 'DEFAULT_TENANT'}, msg_id='tenant-client-1234')
    eq(wire_correlation_id(r.response), ('string', 'tenant-client-1234'), 'correlation-id on the wire')
    r = rr.call('get', {'tenant-id': 'DEFAULT_TENANT'}, msg_id='msg-1', correlation_id='corr-1')
    eq(wire_correlation_id(r.response), ('string', 'corr-1'), 'correlation-id when the request has one')
    r = rr.call('get', {'tenant-id': 'DEFAULT_TENANT'}, msg_id=None, correlation_id='only-corr')
    eq(wire_correlation_id(r.response), ('string', 'only-corr'), 'correlation-id of a request without message-id')


def _id_echo(t, mid, wire_type, client=None):
    """Sends an assert with message-id `mid` on fresh links; returns the echoed (wire type, value)."""
    rr = t.rr('registration/DEFAULT_TENANT', client=client)
    r = rr.request('assert', props={'device_id': '4711'}, msg_id=mid, wait_response=False)
    eq(r.outcome, 'accepted', 'outcome')
    wait_for(lambda: c_msgs(rr), 'the response')
    got = wire_correlation_id(c_msgs(rr)[0])
    expected = (wire_type, mid)
    eq(got, expected, 'correlation-id (AMQP type, value)')
    return got


@case('B16a', 'ulong and UUID (and short binary) message-ids are echoed with their AMQP type')
def b16a(t):
    c = t.client()
    ids = [(ulong(42), 'ulong'), (ulong(2 ** 53 - 1), 'ulong'), (uuid.UUID('6f0c3c2e-0d5a-4f0e-9d7e-0b7a1e9e1a11'), 'uuid'),
           (b'\x01\x02\x03\x04\x05', 'binary')]
    for mid, wire in ids:
        _id_echo(t, mid, wire, c)
    return 'echoed: ulong 42, ulong 2^53-1, uuid, 5-byte binary (types read from the encoded properties section)'


@case('B16b', 'a ulong message-id above 2^53 is echoed as the same ulong')
def b16b(t):
    _id_echo(t, 2 ** 63 + 5, 'ulong')


@case('B16c', 'a 16-byte binary message-id is echoed as binary (not as a UUID)')
def b16c(t):
    _id_echo(t, bytes(range(16)), 'binary')


def _every_endpoint_statuses(t):
    """Responses with several statuses from all four endpoints."""
    out = []
    adapter_tenant = t.rr('tenant')
    out.append(('tenant 200', adapter_tenant.call('get', {'tenant-id': 'DEFAULT_TENANT'})))
    out.append(('tenant 404', adapter_tenant.call('get', {'tenant-id': 'NO_SUCH_TENANT'})))
    out.append(('tenant 400', adapter_tenant.call('get', {})))
    reg = t.rr('registration/DEFAULT_TENANT')
    out.append(('assert 200', reg.call('assert', props={'device_id': '4711'})))
    out.append(('assert 404', reg.call('assert', props={'device_id': 'unknown-device'})))
    out.append(('assert 403', reg.call('assert', props={'device_id': '4711', 'gateway_id': 'gw-1'})))
    out.append(('register 403 (no EXECUTE)', reg.call('register', props={'device_id': uid('dev')})))
    cred = t.rr('credentials/DEFAULT_TENANT')
    out.append(('credentials 200', cred.call('get', {'type': 'hashed-password', 'auth-id': 'sensor1'})))
    dc = t.rr('device_con/DEFAULT_TENANT')
    out.append(('set-last-gw 204', dc.call('set-last-gw', props={'device_id': '4711', 'gateway_id': 'gw-1'})))
    admin_reg = t.rr('registration/DEFAULT_TENANT', 'admin')
    out.append(('register 201', admin_reg.call('register', props={'device_id': uid('dev')})))
    return out


@case('B17', 'status is an AMQP int on every endpoint (wire type int; proton 0.37 decodes it to proton.int32)')
def b17(t):
    seen = []
    for what, r in _every_endpoint_statuses(t):
        status = r.status
        wire = wire_app_property_type(r.response, 'status')
        check(wire == 'int', f'{what}: status encoded as AMQP {wire}, not int')
        check(is_amqp_int(status), f'{what}: proton decoded status {status!r} to {type(status).__name__}, not int32')
        seen.append(f'{what.split()[0]}={int(status)}')
    return 'wire type int, proton type int32: ' + ' '.join(seen)


@case('B18', 'responses carry tenant_id and, where defined, device_id application properties')
def b18(t):
    r = t.tenant_get({'tenant-id': 'DEFAULT_TENANT'})
    eq(r.props.get('tenant_id'), 'DEFAULT_TENANT', 'tenant get tenant_id')
    for device, gw, status in (('4711', None, 200), ('unknown-device', None, 404), ('4713', 'gw-2', 403)):
        r = t.assert_device(device, gw)
        expect_status(r, status, f'assert {device}')
        eq((r.props.get('tenant_id'), r.props.get('device_id')), ('DEFAULT_TENANT', device), f'assert {device} app props')
    r = t.credentials_get({'type': 'hashed-password', 'auth-id': 'gw'})
    eq((r.props.get('tenant_id'), r.props.get('device_id')), ('DEFAULT_TENANT', 'gw-1'), 'credentials app props')
    r = t.credentials_get({'type': 'hashed-password', 'auth-id': 'nobody'})
    eq(r.props.get('tenant_id'), 'DEFAULT_TENANT', 'credentials 404 tenant_id')


@case('B19', 'success bodies are one Data section of UTF-8 JSON with content-type application/json; '
             'error bodies are absent (legacy) or text/plain')
def b19(t):
    results = [('tenant', t.tenant_get({'tenant-id': 'DEFAULT_TENANT'})), ('assert', t.assert_device('with-defaults')),
               ('credentials', t.credentials_get({'type': 'hashed-password', 'auth-id': 'sensor1'})),
               ('registration get', t.rr('registration/DEFAULT_TENANT', 'admin').request('get', props={'device_id': '4711'}))]
    for what, r in results:
        expect_status(r, 200, what)
        m = r.response
        check(m.inferred and isinstance(m.body, (bytes, memoryview)), f'{what}: body is not a Data section: {m.body!r}')
        bytes(m.body).decode('utf-8')
        check(isinstance(r.json, dict), f'{what}: body is not a JSON object')
        eq(str(m.content_type), 'application/json', f'{what} content-type')
    kinds = set()
    for what, r in (('tenant 400', t.tenant_get({})), ('tenant 404', t.tenant_get({'tenant-id': 'NO_SUCH'})),
                    ('register 409', t.rr('registration/DEFAULT_TENANT', 'admin').request('register', props={'device_id': '4711'})),
                    ('credentials 400', t.credentials_get({'auth-id': 'x'}))):
        body = r.response.body if r.response is not None else None
        if body is None:
            kinds.add('none')
            continue
        check(r.response.inferred and isinstance(body, (bytes, memoryview)), f'{what}: error body is not a Data section')
        eq(str(r.response.content_type), 'text/plain', f'{what} error body content-type')
        check(t.profile == '1.x', f'{what}: legacy error answers carry no body, got {bytes(body)!r}')
        kinds.add('text/plain')
    return f'error bodies: {sorted(kinds)}'


@case('B20', 'cache_control is no-cache or max-age=N with N ≥ 1, as configured (REGISTRY_CACHE_MAX_AGE)',
      instances=('legacy', '1.x', 'legacy-first-start'))
def b20(t):
    if t.inst.name == 'legacy-first-start':
        provision(t.inst, 'POST', '/registration/DEFAULT_TENANT', {'device-id': 'fs-device'}, expect=(201, 409))
        rr = t.rr('tenant')
        r = expect_status(rr.request('get', {'tenant-id': 'DEFAULT_TENANT'}), 200, 'tenant get')
        eq(r.props.get('cache_control'), 'no-cache', 'tenant get with REGISTRY_CACHE_MAX_AGE=0')
        r = expect_status(t.assert_device('fs-device'), 200, 'assert')
        eq(r.props.get('cache_control'), 'no-cache', 'assert with REGISTRY_CACHE_MAX_AGE=0')
        return 'REGISTRY_CACHE_MAX_AGE=0 → no-cache (never max-age=0)'
    tenant = t.tenant_get({'tenant-id': 'DEFAULT_TENANT'})
    eq(tenant.props.get('cache_control'), f'max-age={t.inst.cache}', 'tenant get cache_control')
    expected_assert = f'max-age={min(t.inst.cache, ASSERTION_LIFETIME) if t.inst.assertion else t.inst.cache}'
    eq(t.assert_device('4711').props.get('cache_control'), expected_assert, 'assert cache_control')
    for what, r in _every_endpoint_statuses(t):
        cc = r.props.get('cache_control')
        check(cc is None or CACHE_RE.match(cc), f'{what}: invalid cache_control {cc!r}')
    return f'tenant {tenant.props.get("cache_control")}, assert {expected_assert}'


@case('B21', 'a request without message-id and correlation-id is rejected (hono:bad-request) and its credit returned')
def b21(t):
    rr = t.rr('tenant')
    r = rr.request('get', {'tenant-id': 'DEFAULT_TENANT'}, msg_id=None)
    expect_rejected(r, 'hono:bad-request', 'request without id')
    wait_for(lambda: rr.sender.credit == t.inst.credit, 'the credit to come back', timeout=1)
    pump(0.1)
    check(not c_msgs(rr), 'a response was sent for the rejected request')


@case('B22', 'requests without subject, credentials without body, and AmqpValue bodies are rejected')
def b22(t):
    tenant = t.rr('tenant')
    expect_rejected(tenant.request(None, {'tenant-id': 'DEFAULT_TENANT'}), 'hono:bad-request', 'tenant without subject')
    expect_rejected(tenant.request('get', AmqpValue('{"tenant-id":"DEFAULT_TENANT"}')), 'hono:bad-request',
                    'tenant get with an AmqpValue string body')
    reg = t.rr('registration/DEFAULT_TENANT')
    expect_rejected(reg.request(None, props={'device_id': '4711'}), 'hono:bad-request', 'registration without subject')
    expect_rejected(reg.request('assert', AmqpValue({'a': 1}), props={'device_id': '4711'}), 'hono:bad-request',
                    'assert with an AmqpValue map body')
    cred = t.rr('credentials/DEFAULT_TENANT')
    expect_rejected(cred.request('get'), 'hono:bad-request', 'credentials get without body')
    expect_rejected(cred.request('get', AmqpValue(b'{"type":"psk","auth-id":"x"}')), 'hono:bad-request',
                    'credentials get with an AmqpValue binary body')
    expect_rejected(cred.request('get', b'not json'), 'hono:bad-request', 'credentials get with a non-JSON body')
    expect_rejected(tenant.request('get', {'tenant-id': 'DEFAULT_TENANT'}, reply_to=None), 'hono:bad-request',
                    'request without reply-to')


@case('B23', 'formally invalid requests are rejected with hono:bad-request and every credit comes back')
def b23(t):
    reg = t.rr('registration/DEFAULT_TENANT')
    cred = t.rr('credentials/DEFAULT_TENANT')
    dc = t.rr('device_con/DEFAULT_TENANT')
    bad = [
        (reg, 'assert', NOTSET, {}, 'registration without device_id'),
        (reg, 'frobnicate', NOTSET, {'device_id': '4711'}, 'unknown registration subject'),
        (cred, 'frobnicate', {'type': 'psk', 'auth-id': 'x'}, None, 'unknown credentials subject'),
        (cred, 'get', b'[1,2]', None, 'credentials body that is not a JSON object'),
        (dc, 'get-last-gw', NOTSET, {}, 'device connection without device_id'),
    ]
    for rr, subject, body, props, what in bad:
        for _ in range(3):
            expect_rejected(rr.request(subject, body, props), 'hono:bad-request', what)
    for rr in (reg, cred, dc):
        wait_for(lambda: rr.sender.credit == t.inst.credit, f'credit back on {rr.target}', timeout=1)
    expect_status(reg.request('assert', props={'device_id': '4711'}), 200, 'valid request after the rejections')


@case('B24', 'an unknown but present subject on the tenant endpoint is answered with status 400, not rejected')
def b24(t):
    r = t.rr('tenant').request('frobnicate', {})
    expect_status(r, 400, 'tenant frobnicate')


@case('B25', 'missing EXECUTE authority: the request is accepted and answered with status 403')
def b25(t):
    reg = t.rr('registration/DEFAULT_TENANT')  # protocol-adapter: assert only
    r = reg.request('register', props={'device_id': uid('dev')})
    expect_status(r, 403, 'adapter register')
    r = reg.request('get', props={'device_id': '4711'})
    expect_status(r, 403, 'adapter registration get')
    r = t.rr('credentials/DEFAULT_TENANT').request('add', {'device-id': '4711', 'type': 'psk', 'auth-id': uid('a'),
                                                          'secrets': [{'key': 'c2VjcmV0'}]})
    expect_status(r, 403, 'adapter credentials add')
    r = t.rr('tenant', 'hono-client').request('add', {}, props={'tenant_id': uid('T')})
    expect_status(r, 403, 'hono-client tenant add of a foreign tenant')
    return 'accepted + 403 (a 0.9 client reported 403 from an amqp:unauthorized-access rejection; same result)'


@case('B26', 'answers arrive within the 5 s case bound (the 200 ms Hono client timeout is not asserted)')
def b26(t):
    reg = t.rr('registration/DEFAULT_TENANT')
    times = []
    for _ in range(50):
        r = expect_status(reg.request('assert', props={'device_id': '4712', 'gateway_id': 'gw-1'}), 200, 'assert')
        times.append(r.elapsed * 1000)
    times.sort()
    return (f'50 gateway asserts: median {times[25]:.1f} ms, max {times[-1]:.1f} ms '
            '(timing statement of #26 reported, not asserted)')


# ============================================================================================
# C. Tenant API
# ============================================================================================

@case('C27', 'get by tenant-id → 200 with tenant-id, enabled, custom members, tenant_id and cache_control')
def c27(t):
    r = expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT'}), 200, 'tenant get')
    body = r.json
    eq(body.get('tenant-id'), 'DEFAULT_TENANT', 'tenant-id')
    eq(body.get('enabled'), True, 'enabled')
    eq(body.get('plan'), 'gold', 'custom member plan')
    eq(body.get('custom'), {'nested': [1, 'two']}, 'custom nested member')
    eq(r.props.get('tenant_id'), 'DEFAULT_TENANT', 'tenant_id app prop')
    eq(r.props.get('cache_control'), f'max-age={t.inst.cache}', 'cache_control')
    r = expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT', 'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse'}), 200,
                      'get with tenant-id and subject-dn')
    eq(r.json.get('tenant-id'), 'DEFAULT_TENANT', 'tenant-id wins over subject-dn')


@case('C28', 'get for an unknown tenant → 404 without body')
def c28(t):
    for user in (ADAPTER, 'hono-client'):
        r = expect_status(t.tenant_get({'tenant-id': 'NON_EXISTING_TENANT'}, user=user), 404, f'unknown tenant as {user}')
        check(r.response.body is None, f'404 with a body: {r.response.body!r}')


@case('C29', 'get by subject-dn returns the owning tenant; spacing, case and OID attribute types do not matter')
def c29(t):
    for dn in ('CN=ca,OU=Hono,O=Eclipse', 'CN=ca, OU=Hono, O=Eclipse', 'cn=ca,ou=Hono,o=Eclipse',
               'CN=CA,OU=HONO,O=ECLIPSE', '2.5.4.3=ca,2.5.4.11=Hono,2.5.4.10=Eclipse'):
        r = expect_status(t.tenant_get({'subject-dn': dn}), 200, f'get by {dn!r}')
        eq(r.json.get('tenant-id'), 'DEFAULT_TENANT', f'tenant for {dn!r}')
        eq(r.props.get('tenant_id'), 'DEFAULT_TENANT', f'tenant_id for {dn!r}')
    r = expect_status(t.tenant_get({'subject-dn': 'CN=ca-http, OU=Hono, O=Eclipse'}), 200, 'get by the HTTP_ONLY CA')
    eq(r.json.get('tenant-id'), 'HTTP_ONLY', 'tenant of CN=ca-http')


@case('C30', 'get by an unknown subject DN → 404; by an unparsable DN → 400')
def c30(t):
    expect_status(t.tenant_get({'subject-dn': 'CN=nobody,O=Nowhere'}), 404, 'unknown DN')
    expect_status(t.tenant_get({'subject-dn': 'not a DN'}), 400, 'unparsable DN')


@case('C31', 'get with an empty JSON object, or without body and tenant_id → 400')
def c31(t):
    expect_status(t.tenant_get({}), 400, 'empty object')
    expect_status(t.tenant_get(), 400, 'no body')
    expect_status(t.tenant_get({'tenant-id': 42}), 400, 'non-string tenant-id')


@case('C32', 'deprecated form: app-property tenant_id without body → same answer as get by tenant-id')
def c32(t):
    a = expect_status(t.tenant_get(props={'tenant_id': 'DEFAULT_TENANT'}), 200, 'deprecated get')
    b = expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT'}), 200, 'payload get')
    eq(a.json, b.json, 'body of the deprecated form')
    eq((a.props.get('tenant_id'), a.props.get('cache_control')), (b.props.get('tenant_id'), b.props.get('cache_control')),
       'app props of the deprecated form')
    expect_status(t.tenant_get(props={'tenant_id': 'NON_EXISTING_TENANT'}), 404, 'deprecated get of an unknown tenant')
    r = expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT'}, props={'tenant_id': 'HTTP_ONLY'}), 200, 'both forms')
    eq(r.json.get('tenant-id'), 'HTTP_ONLY', 'the tenant_id app property wins over the body')


@case('C33', 'a disabled tenant is returned with 200 and enabled:false')
def c33(t):
    r = expect_status(t.tenant_get({'tenant-id': 'DISABLED_TENANT'}), 200, 'disabled tenant')
    eq(r.json.get('enabled'), False, 'enabled')


@case('C34', 'caller without tenant/<T>:get gets 403 by id, by CA and by tenant_id; absent tenants it may query → 404')
def c34(t):
    u = 'hono-client'
    r = expect_status(t.tenant_get({'tenant-id': 'HTTP_ONLY'}, user=u), 403, 'get HTTP_ONLY by id')
    check(r.response.body is None, '403 must not carry the tenant')
    r = expect_status(t.tenant_get({'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse'}, user=u), 403, 'get HTTP_ONLY by CA')
    check(r.response.body is None, '403 must not carry the tenant')
    expect_status(t.tenant_get(props={'tenant_id': 'HTTP_ONLY'}, user=u), 403, 'deprecated get of HTTP_ONLY')
    expect_status(t.tenant_get({'tenant-id': 'NON_EXISTING_TENANT'}, user=u), 404, 'authorised absent tenant')
    # payload variants are authorised on the result: not-found passes unfiltered (§3.2) …
    expect_status(t.tenant_get({'tenant-id': 'UNAUTHORISED_ABSENT'}, user=u), 404, 'unauthorised absent tenant by id')
    expect_status(t.tenant_get({'subject-dn': 'CN=nobody,O=Nowhere'}, user=u), 404, 'unknown CA')
    # … the deprecated app-property variant is authorised before the lookup
    expect_status(t.tenant_get(props={'tenant_id': 'UNAUTHORISED_ABSENT'}, user=u), 403, 'deprecated get, unauthorised')
    expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT'}, user=u), 200, 'own tenant')
    expect_status(t.tenant_get({'subject-dn': 'CN=ca,OU=Hono,O=Eclipse'}, user=u), 200, 'own tenant by CA')


@case('C35', 'trusted-ca: legacy → one object with both type and algorithm; 1.x → array of the CAs valid now')
def c35(t):
    d = expect_status(t.tenant_get({'tenant-id': 'DEFAULT_TENANT'}), 200, 'DEFAULT_TENANT').json['trusted-ca']
    h = expect_status(t.tenant_get({'tenant-id': 'HTTP_ONLY'}), 200, 'HTTP_ONLY').json['trusted-ca']
    m = expect_status(t.tenant_get({'tenant-id': 'CA_TENANT'}), 200, 'CA_TENANT').json['trusted-ca']
    keys = t.inst.keys
    if t.legacy:
        for ca, dn, key, alg in ((d, 'CN=ca,OU=Hono,O=Eclipse', keys['rsa'], 'RSA'),
                                 (h, 'CN=ca-http,OU=Hono,O=Eclipse', keys['ec1'], 'EC'),
                                 (m, 'CN=ca-current,O=Conformance', keys['ec3'], 'EC')):
            check(isinstance(ca, dict), f'legacy trusted-ca must be an object: {ca!r}')
            eq((ca.get('subject-dn'), ca.get('public-key'), ca.get('type'), ca.get('algorithm')), (dn, key, alg, alg),
               f'trusted-ca of {dn}')
            check('not-before' not in ca and 'not-after' not in ca, f'validity bounds sent: {ca}')
        return 'objects; CA_TENANT sends its one CA valid now'
    for ca_list, expected in ((d, [('CN=ca,OU=Hono,O=Eclipse', keys['rsa'], 'RSA')]),
                              (h, [('CN=ca-http,OU=Hono,O=Eclipse', keys['ec1'], 'EC')]),
                              (m, [('CN=ca-current,O=Conformance', keys['ec3'], 'EC')])):
        check(isinstance(ca_list, list), f'1.x trusted-ca must be an array: {ca_list!r}')
        eq([(c.get('subject-dn'), c.get('public-key'), c.get('algorithm')) for c in ca_list], expected, 'trusted-ca array')
        for c in ca_list:
            check('not-before' not in c and 'not-after' not in c, f'validity bounds sent: {c}')
    return 'arrays; the expired and the not-yet-valid CA of CA_TENANT are omitted'


@case('C36', 'a tenant without adapters has none in the answer; adapters added over AMQP get enabled/auth-required true')
def c36(t):
    r = expect_status(t.tenant_get({'tenant-id': 'TENANT_B'}), 200, 'TENANT_B')
    check('adapters' not in r.json, f'adapters present: {r.json}')
    tid = uid('T36')
    admin = t.rr('tenant', 'admin')
    expect_status(admin.request('add', {'adapters': [{'type': 'hono-http'}, {'type': 'hono-mqtt', 'enabled': False}]},
                                props={'tenant_id': tid}), 201, 'add')
    got = expect_status(admin.request('get', {'tenant-id': tid}), 200, 'get').json
    eq(got.get('adapters'), [{'type': 'hono-http', 'enabled': True, 'device-authentication-required': True},
                             {'type': 'hono-mqtt', 'enabled': False, 'device-authentication-required': True}], 'adapters')
    eq(got.get('enabled'), True, 'tenant enabled default')
    expect_status(admin.request('update', {'adapters': [{'type': 'hono-coap', 'device-authentication-required': False}]},
                                props={'tenant_id': tid}), 204, 'update')
    got = expect_status(admin.request('get', {'tenant-id': tid}), 200, 'get after update').json
    eq(got.get('adapters'), [{'type': 'hono-coap', 'enabled': True, 'device-authentication-required': False}],
       'adapters after update')


@case('C37', 'adapters in answers are a non-empty array whose entries have a string type')
def c37(t):
    for tenant in ('HTTP_ONLY', 'MQTT_ONLY'):
        adapters = expect_status(t.tenant_get({'tenant-id': tenant}), 200, tenant).json.get('adapters')
        check(isinstance(adapters, list) and adapters, f'{tenant}: adapters {adapters!r}')
        check(all(isinstance(a.get('type'), str) for a in adapters), f'{tenant}: adapter without string type')
    expect_status(t.rr('tenant', 'admin').request('add', {'adapters': []}, props={'tenant_id': uid('T37')}), 400,
                  'add with an empty adapters array')


@case('C38', 'AMQP tenant add/update/remove: 201, 409 (id, foreign CA DN), 400 (invalid adapters/CA), 404, 204')
def c38(t):
    admin = t.rr('tenant', 'admin')
    keys = t.inst.keys
    tid = uid('T38')
    add = lambda body, tenant=tid: admin.request('add', body, props={'tenant_id': tenant})  # noqa: E731
    ca = {'subject-dn': f'CN={tid},O=Conformance', 'public-key': keys['ec4'], 'algorithm': 'EC'}
    expect_status(add({'trusted-ca': ca, 'plan': 'silver'}), 201, 'add')
    expect_status(add({}), 409, 'add of an existing id')
    expect_status(add({'trusted-ca': {'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': keys['ec4'],
                                      'algorithm': 'EC'}}, uid('T38')), 409, 'add with a CA DN of DEFAULT_TENANT')
    invalid = [
        ({'adapters': []}, 'empty adapters'),
        ({'adapters': [{'enabled': True}]}, 'adapter without type'),
        ({'trusted-ca': {'public-key': keys['ec4'], 'algorithm': 'EC'}}, 'CA without subject-dn'),
        ({'trusted-ca': {'subject-dn': 'CN=x1,O=C', 'public-key': keys['ec4'], 'cert': keys['ec4'], 'algorithm': 'EC'}},
         'CA with cert and public-key'),
        ({'trusted-ca': {'subject-dn': 'CN=x2,O=C'}}, 'CA with neither cert nor public-key'),
        ({'trusted-ca': {'subject-dn': 'CN=x3,O=C', 'public-key': 'NotBase64Encoded'}}, 'CA key not Base64'),
        ({'trusted-ca': {'subject-dn': 'CN=x4,O=C', 'public-key': base64.b64encode(b'hello').decode()}},
         'CA key not DER'),
    ]
    for body, what in invalid:
        expect_status(add(body, uid('T38')), 400, what)
    expect_status(admin.request('add', {}), 400, 'add without tenant_id')
    got = expect_status(admin.request('get', {'tenant-id': tid}), 200, 'get after add').json
    eq(got.get('plan'), 'silver', 'custom member after add')
    expect_status(admin.request('update', {'enabled': False}, props={'tenant_id': tid}), 204, 'update')
    got = expect_status(admin.request('get', {'tenant-id': tid}), 200, 'get after update').json
    eq((got.get('enabled'), 'plan' in got, 'trusted-ca' in got), (False, False, False), 'update replaces the tenant')
    expect_status(admin.request('update', {'trusted-ca': {'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse',
                                                          'public-key': keys['ec1'], 'algorithm': 'EC'}},
                                props={'tenant_id': tid}), 409, 'update with the CA DN of HTTP_ONLY')
    expect_status(admin.request('update', {}, props={'tenant_id': uid('nope')}), 404, 'update of an unknown tenant')
    expect_status(admin.request('remove', props={'tenant_id': tid}), 204, 'remove')
    expect_status(admin.request('get', {'tenant-id': tid}), 404, 'get after remove')
    expect_status(admin.request('remove', props={'tenant_id': tid}), 404, 'remove again')


@case('C73', 'get by tenant-id also finds a tenant by its alias, answered with its id; a tenant with that id wins')
def c73(t):
    admin = t.rr('tenant', 'admin')
    tid, alias = uid('T73'), uid('alias73').lower()
    expect_status(admin.request('add', {'alias': alias, 'plan': 'c73'}, props={'tenant_id': tid}), 201, 'add with alias')
    r = expect_status(t.tenant_get({'tenant-id': alias}), 200, 'get by alias')
    eq((r.json.get('tenant-id'), r.props.get('tenant_id'), r.json.get('plan'), 'alias' in r.json), (tid, tid, 'c73', False), 'found by alias')
    expect_status(admin.request('add', {'alias': alias}, props={'tenant_id': uid('T73')}), 409, 'alias taken')
    expect_status(admin.request('add', {'plan': 'own'}, props={'tenant_id': alias}), 201, 'a tenant whose id is the alias')
    eq(expect_status(t.tenant_get({'tenant-id': alias}), 200, 'get by id').json.get('plan'), 'own', 'the id wins')
    for tenant in (tid, alias):
        expect_status(admin.request('remove', props={'tenant_id': tenant}), 204, f'remove {tenant}')


@case('C74', 'get by a subject DN that tenants of one trust-anchor group share → 404; once one has it → 200')
def c74(t):
    admin = t.rr('tenant', 'admin')
    group, dn = uid('group74'), f'CN={uid("shared")},O=Conformance'
    ca = {'subject-dn': dn, 'public-key': t.inst.keys['ec4'], 'algorithm': 'EC'}
    first, second = uid('T74'), uid('T74')
    for tenant in (first, second):
        expect_status(admin.request('add', {'trust-anchor-group': group, 'trusted-ca': ca}, props={'tenant_id': tenant}), 201, f'add {tenant}')
    expect_status(admin.request('add', {'trusted-ca': ca}, props={'tenant_id': uid('T74')}), 409, 'same DN outside the group')
    expect_status(t.tenant_get({'subject-dn': dn}), 404, 'get by the shared DN')
    expect_status(admin.request('remove', props={'tenant_id': second}), 204, 'remove one')
    r = expect_status(t.tenant_get({'subject-dn': dn}), 200, 'get by a DN one tenant has')
    eq((r.json.get('tenant-id'), 'trust-anchor-group' in r.json), (first, False), 'tenant found')
    expect_status(admin.request('remove', props={'tenant_id': first}), 204, 'remove the other')


@case('C75', 'the answer leaves out alias, trust-anchor-group, registration-limits and the CA validity and auto-provisioning internals')
def c75(t):
    admin = t.rr('tenant', 'admin')
    tid = uid('T75')
    ca = {'id': 'ca-75', 'subject-dn': f'CN={tid},O=Conformance', 'public-key': t.inst.keys['ec4'], 'algorithm': 'EC',
          'auth-id-template': '{{subject-cn}}', 'auto-provision-as-gateway': True,
          'auto-provisioning-device-id-template': 'd-{{subject-cn}}', 'ocsp-nonce-enabled': True}
    limits = {'max-connections': 3, 'max-ttl-telemetry-qos0': 5, 'max-ttl-telemetry-qos1': 6, 'max-ttl-command-response': 7}
    body = {'alias': uid('a75').lower(), 'trust-anchor-group': 'g75', 'registration-limits': {'max-devices': 1},
            'resource-limits': limits, 'minimum-message-size': 512, 'tracing': {'sampling-mode': 'none'}, 'trusted-ca': [ca]}
    expect_status(admin.request('add', body, props={'tenant_id': tid}), 201, 'add')
    got = expect_status(t.tenant_get({'tenant-id': tid}), 200, 'get').json
    for member in ('alias', 'trust-anchor-group', 'registration-limits'):
        check(member not in got, f'{member} sent: {got}')
    eq((got.get('resource-limits'), got.get('minimum-message-size'), got.get('tracing')), (limits, 512, {'sampling-mode': 'none'}), 'limits and tracing')
    sent = got['trusted-ca'] if not t.legacy else [got['trusted-ca']]
    eq([(c.get('id'), c.get('auth-id-template'), c.get('ocsp-nonce-enabled')) for c in sent], [('ca-75', '{{subject-cn}}', True)], 'CA fields')
    for member in ('auto-provision-as-gateway', 'auto-provisioning-device-id-template', 'not-before', 'not-after'):
        check(all(member not in c for c in sent), f'{member} sent: {sent}')
    expect_status(admin.request('remove', props={'tenant_id': tid}), 204, 'remove')


# ============================================================================================
# D. Device Registration API
# ============================================================================================

@case('D39', 'assert for an enabled device → 200, body device-id, device_id/tenant_id app props')
def d39(t):
    r = expect_status(t.assert_device('4711'), 200, 'assert 4711')
    eq(r.json.get('device-id'), '4711', 'device-id')
    eq((r.props.get('device_id'), r.props.get('tenant_id')), ('4711', 'DEFAULT_TENANT'), 'app props')


def _b64url(data):
    return base64.urlsafe_b64decode(data + '=' * (-len(data) % 4))


@case('D40', 'legacy: assertion is an HS256 JWT (sub, ten, exp in the future) valid for the configured secret; '
             'max-age ≤ lifetime; 1.x: no assertion')
def d40(t):
    r = expect_status(t.assert_device('4712', 'gw-1'), 200, 'assert')
    body = r.json
    if not t.inst.assertion:
        check('assertion' not in body, f'1.x answer carries an assertion: {body}')
        return 'no assertion in the 1.x profile (even with REGISTRY_ASSERTION_SECRET set)'
    token = body.get('assertion')
    check(isinstance(token, str) and token.count('.') == 2, f'assertion {token!r}')
    head, payload, sig = token.split('.')
    header = json.loads(_b64url(head))
    eq(header.get('alg'), 'HS256', 'JWT alg')
    expected = hmac.new(ASSERTION_SECRET.encode(), f'{head}.{payload}'.encode(), hashlib.sha256).digest()
    check(hmac.compare_digest(expected, _b64url(sig)), 'JWT signature does not verify with the configured secret')
    claims = json.loads(_b64url(payload))
    eq((claims.get('sub'), claims.get('ten')), ('4712', 'DEFAULT_TENANT'), 'sub/ten claims')
    now = time.time()
    check(isinstance(claims.get('exp'), int) and now < claims['exp'] <= now + ASSERTION_LIFETIME + 5,
          f'exp {claims.get("exp")} not within the lifetime {ASSERTION_LIFETIME} s')
    cc = r.props.get('cache_control', '')
    m = CACHE_RE.match(cc)
    check(m and (cc == 'no-cache' or int(m.group(2)) <= ASSERTION_LIFETIME), f'cache_control {cc!r} exceeds the lifetime')
    return f'claims {claims}, cache_control {cc}'


@case('D41', 'assert body carries the device defaults object unchanged')
def d41(t):
    r = expect_status(t.assert_device('with-defaults'), 200, 'assert')
    eq(r.json.get('defaults'), DEVICES['DEFAULT_TENANT']['with-defaults']['defaults'], 'defaults')


@case('D42', 'a device registered without enabled is treated as enabled')
def d42(t):
    expect_status(t.assert_device('no-enabled-flag'), 200, 'assert')


@case('D43', 'unknown device → 404; disabled device → 404, also with an authorised enabled gateway')
def d43(t):
    expect_status(t.assert_device('unknown-device'), 404, 'unknown')
    expect_status(t.assert_device('disabled-device'), 404, 'disabled')
    expect_status(t.assert_device('disabled-via-gw1', 'gw-1'), 404, 'disabled device via gw-1')
    expect_status(t.assert_device('unknown-device', 'gw-1'), 404, 'unknown device via gw-1')


@case('D44', 'gateway_id of an enabled gateway named in the device\'s via (string form) → 200')
def d44(t):
    expect_status(t.assert_device('4712', 'gw-1'), 200, '4712 via gw-1')


@case('D45', 'via as an array: gateway in it → 200; body via is the registered list in order')
def d45(t):
    for gw in ('gw-1', 'gw-3'):
        r = expect_status(t.assert_device('4714', gw), 200, f'4714 via {gw}')
        eq(r.json.get('via'), ['gw-3', 'gw-1'], 'via')


@case('D46', 'disabled gateway, unknown gateway, gateway not in via, or device without via → 403')
def d46(t):
    expect_status(t.assert_device('4713', 'gw-2'), 403, 'disabled gateway gw-2')
    expect_status(t.assert_device('4712', 'no-such-gw'), 403, 'unknown gateway')
    expect_status(t.assert_device('4712', 'gw-3'), 403, 'gw-3 not in via')
    expect_status(t.assert_device('4711', 'gw-1'), 403, 'device without via')
    expect_status(t.assert_device('4711', 'no-such-gw'), 403, 'device without via, unknown gateway')


@case('D47', 'a device with via asserted without gateway_id (direct connection) → 200')
def d47(t):
    expect_status(t.assert_device('4712'), 200, '4712 directly')
    expect_status(t.assert_device('4713'), 200, '4713 directly (its gateway is disabled)')


@case('D48', 'an assert without device_id is rejected with hono:bad-request')
def d48(t):
    rr = t.rr('registration/DEFAULT_TENANT')
    expect_rejected(rr.request('assert'), 'hono:bad-request', 'assert without device_id')
    expect_rejected(rr.request('assert', props={'gateway_id': 'gw-1'}), 'hono:bad-request', 'assert with only gateway_id')


@case('D49', 'registration requests only see devices of the link\'s tenant')
def d49(t):
    expect_status(t.assert_device('only-in-b'), 404, 'only-in-b in DEFAULT_TENANT')
    r = expect_status(t.assert_device('only-in-b', tenant='TENANT_B'), 200, 'only-in-b in TENANT_B')
    eq(r.props.get('tenant_id'), 'TENANT_B', 'tenant_id')
    r = expect_status(t.assert_device('4711', tenant='TENANT_B'), 200, '4711 in TENANT_B')
    eq(r.json.get('defaults'), {'origin': 'tenant-b'}, 'defaults of TENANT_B\'s 4711')
    check('defaults' not in expect_status(t.assert_device('4711'), 200, '4711').json, 'DEFAULT_TENANT 4711 has defaults')
    rr = t.rr('registration/TENANT_B')
    expect_status(rr.request('assert', props={'device_id': '4712', 'gateway_id': 'gw-1', 'tenant_id': 'DEFAULT_TENANT'}),
                  404, 'a tenant_id app property does not change the tenant')


@case('D50', 'via in assert answers is always a JSON array (string form converted)')
def d50(t):
    eq(expect_status(t.assert_device('4712', 'gw-1'), 200, '4712 via gw-1').json.get('via'), ['gw-1'], 'via of 4712')
    eq(expect_status(t.assert_device('4712'), 200, '4712 direct').json.get('via'), ['gw-1'], 'via of 4712 (direct)')


@case('D51', 'viaGroups/memberOf (1.2, optional): a gateway sharing a group → 200 with itself in via; a non-member → 403')
def d51(t):
    r = expect_status(t.assert_device('grouped', 'gw-g1a'), 200, 'grouped via gw-g1a')
    expect_status(t.assert_device('grouped', 'gw-1'), 403, 'grouped via a non-member')
    via = r.json.get('via')
    check(isinstance(via, list) and 'gw-g1a' in via, f'via {via!r} lacks the asserting gateway')
    # via lists every member of the device's groups (test/integration/v1/gateways.test.ts checks the whole list).


@case('D52', 'registration get → 200 {device-id, data incl. enabled}; unknown → 404')
def d52(t):
    rr = t.rr('registration/DEFAULT_TENANT', 'admin')
    r = expect_status(rr.request('get', props={'device_id': '4711'}), 200, 'get 4711')
    eq(r.json, {'device-id': '4711', 'data': {'enabled': True}}, 'body')
    r = expect_status(rr.request('get', props={'device_id': 'no-enabled-flag'}), 200, 'get no-enabled-flag')
    eq(r.json, {'device-id': 'no-enabled-flag', 'data': {'enabled': True, 'manufacturer': 'ACME'}}, 'body')
    expect_status(rr.request('get', props={'device_id': 'unknown-device'}), 404, 'unknown')


@case('D53', 'register → 201 (enabled:true added), duplicate 409; update 204/404; deregister 204/404')
def d53(t):
    rr = t.rr('registration/DEFAULT_TENANT', 'admin')
    dev = uid('d53')
    expect_status(rr.request('register', props={'device_id': dev}), 201, 'register without body')
    eq(expect_status(rr.request('get', props={'device_id': dev}), 200, 'get').json['data'], {'enabled': True}, 'data')
    expect_status(rr.request('register', props={'device_id': dev}), 409, 'duplicate register')
    dev2 = uid('d53')
    expect_status(rr.request('register', {'ep': 'IMEI', 'via': 'gw-1'}, props={'device_id': dev2}), 201, 'register body')
    eq(expect_status(rr.request('get', props={'device_id': dev2}), 200, 'get').json['data'],
       {'enabled': True, 'ep': 'IMEI', 'via': 'gw-1'}, 'data')
    expect_status(rr.request('update', {'enabled': False, 'x': 1}, props={'device_id': dev}), 204, 'update')
    eq(expect_status(rr.request('get', props={'device_id': dev}), 200, 'get').json['data'],
       {'enabled': False, 'x': 1}, 'data after update')
    expect_status(t.assert_device(dev), 404, 'assert after disabling')
    expect_status(rr.request('update', {}, props={'device_id': uid('nope')}), 404, 'update unknown')
    expect_status(rr.request('deregister', props={'device_id': dev}), 204, 'deregister')
    expect_status(rr.request('get', props={'device_id': dev}), 404, 'get after deregister')
    expect_status(rr.request('deregister', props={'device_id': dev}), 404, 'deregister again')
    return 'not covered (not implemented in the registry): maxDevicesPerTenant → 403 and modificationEnabled=false → 403'


# ============================================================================================
# E. Credentials API
# ============================================================================================

@case('E54', 'get hashed-password sensor1 → 200 with device-id, type, auth-id, enabled and both secrets unmodified')
def e54(t):
    r = expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'sensor1'}), 200, 'get sensor1')
    body = r.json
    eq((body.get('device-id'), body.get('type'), body.get('auth-id'), body.get('enabled')),
       ('4711', 'hashed-password', 'sensor1', True), 'record')
    eq(body.get('secrets'), SENSOR1_SECRETS, 'secrets (order and content)')
    first = body['secrets'][0]
    salt = base64.b64decode(first['salt'])
    eq(salt, b'hono', 'salt')
    eq(base64.b64encode(hashlib.sha512(salt + b'hono-secret').digest()).decode(), first['pwd-hash'], 'pwd-hash check')


@case('E55', 'unknown auth-id → 404; known auth-id with another type → 404')
def e55(t):
    expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'nobody'}), 404, 'unknown auth-id')
    expect_status(t.credentials_get({'type': 'psk', 'auth-id': 'sensor1'}), 404, 'sensor1 as psk')
    expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'psk-sensor'}), 404, 'psk-sensor as password')


@case('E56', 'missing type → 400; missing auth-id (no device-id) → 400; both auth-id and device-id → 400')
def e56(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    expect_status(rr.request('get', {'auth-id': 'sensor1'}), 400, 'missing type')
    expect_status(rr.request('get', {'type': 'hashed-password'}), 400, 'missing auth-id')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'sensor1', 'device-id': '4711'}), 400, 'both')


@case('E57', 'disabled record: legacy → 200 enabled:false; 1.x → 404, disabled secrets stripped, all-disabled → 404')
def e57(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    r = rr.request('get', {'type': 'psk', 'auth-id': 'little-sensor2'})
    partly = rr.request('get', {'type': 'hashed-password', 'auth-id': 'partly-disabled'})
    alldis = rr.request('get', {'type': 'hashed-password', 'auth-id': 'all-disabled'})
    if t.legacy:
        expect_status(r, 200, 'disabled psk')
        eq((r.json.get('enabled'), r.json.get('device-id')), (False, '4711'), 'enabled/device-id')
        eq(len(expect_status(partly, 200, 'partly-disabled').json['secrets']), 2, 'legacy keeps disabled secrets')
        expect_status(alldis, 200, 'all-disabled')
        return 'legacy: returned with enabled:false, secrets untouched'
    expect_status(r, 404, 'disabled psk')
    secrets = expect_status(partly, 200, 'partly-disabled').json['secrets']
    eq(secrets, [sha256_secret('new')], 'remaining secrets')
    expect_status(alldis, 404, 'record whose secrets are all disabled')
    return '1.x: 404, disabled secrets stripped'


@case('E58', 'client context: extra members must equal top-level string members of the record, else 404',
      instances=('legacy',))
def e58(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    r = expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-one'}),
                      200, 'matching context')
    eq(r.json.get('client-id'), 'gateway-one', 'client-id in the record')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-two'}), 404,
                  'different value')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'sensor1', 'client-id': 'x'}), 404,
                  'member absent on the record')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-one',
                                     'other': 'x'}), 404, 'one matching and one absent member')


@case('E58b', 'client context (1.x, Hono 1.4+): compared with the record\'s ext; members ext lacks are ignored',
      instances=('1.x',))
def e58b(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'sensor1', 'client-id': 'x'}), 200,
                  'record without ext, context as Hono\'s MQTT adapter sends it')
    expect_status(rr.request('get', {'type': 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-two'}), 200,
                  'record without ext, client-id only at top level')
    return '1.x: lenient, against ext'


@case('E59', 'psk answers carry key secrets; x509-cert looked up by RFC 2253 subject DN returns secrets [{}]')
def e59(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    r = expect_status(rr.request('get', {'type': 'psk', 'auth-id': 'psk-sensor'}), 200, 'psk')
    eq(r.json.get('secrets'), [{'key': 'c2VjcmV0S2V5'}], 'psk secrets')
    dn = 'CN=device-1,O=ACME Corporation'
    r = expect_status(rr.request('get', {'type': 'x509-cert', 'auth-id': dn}), 200, 'x509-cert')
    eq((r.json.get('auth-id'), r.json.get('type'), r.json.get('device-id'), r.json.get('secrets')),
       (dn, 'x509-cert', '4711', [{}]), 'x509 record')


@case('E60', 'device_id app prop is the record\'s device-id; cache_control: legacy no-cache, 1.x max-age for '
             'hashed-password/x509-cert and no-cache for psk')
def e60(t):
    rr = t.rr('credentials/DEFAULT_TENANT')
    answers = {
        'hashed-password': rr.request('get', {'type': 'hashed-password', 'auth-id': 'gw'}),
        'x509-cert': rr.request('get', {'type': 'x509-cert', 'auth-id': 'CN=device-1,O=ACME Corporation'}),
        'psk': rr.request('get', {'type': 'psk', 'auth-id': 'psk-sensor'}),
    }
    eq(expect_status(answers['hashed-password'], 200, 'gw').props.get('device_id'), 'gw-1', 'device_id of gw')
    eq(expect_status(answers['psk'], 200, 'psk').props.get('device_id'), '4712', 'device_id of psk-sensor')
    for kind, r in answers.items():
        expect_status(r, 200, kind)
        expected = 'no-cache' if t.legacy or kind == 'psk' else f'max-age={t.inst.cache}'
        eq(r.props.get('cache_control'), expected, f'cache_control of {kind}')


@case('E61', 'credentials are scoped by the tenant of the link address')
def e61(t):
    r = expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'sensor1'}, tenant='TENANT_B'), 200, 'B')
    eq((r.json.get('device-id'), r.props.get('tenant_id')), ('b-device', 'TENANT_B'), 'TENANT_B sensor1')
    r = expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'sensor1'}), 200, 'DEFAULT_TENANT')
    eq(r.json.get('device-id'), '4711', 'DEFAULT_TENANT sensor1')
    expect_status(t.credentials_get({'type': 'hashed-password', 'auth-id': 'only-in-b'}), 404, 'only-in-b in DEFAULT')


@case('E62', 'add with pwd-plain stores a $2a$ bcrypt hash (configured cost 4) that verifies; the plain password is never returned')
def e62(t):
    admin = t.rr('credentials/DEFAULT_TENANT', 'admin')
    auth = uid('plain')
    expect_status(admin.request('add', {'device-id': '4711', 'type': 'hashed-password', 'auth-id': auth,
                                        'secrets': [{'pwd-plain': 'my-little-secret'}]}), 201, 'add')
    r = expect_status(admin.request('get', {'type': 'hashed-password', 'auth-id': auth}), 200, 'get')
    text = bytes(r.response.body).decode()
    check('my-little-secret' not in text and 'pwd-plain' not in text, f'plain password returned: {text}')
    secret = r.json['secrets'][0]
    eq(secret.get('hash-function'), 'bcrypt', 'hash-function')
    h = secret.get('pwd-hash', '')
    check(h.startswith('$2a$04$'), f'pwd-hash {h!r} is not a $2a$ cost-4 bcrypt hash')
    check(crypt.crypt('my-little-secret', h) == h, 'the bcrypt hash does not verify the password')
    check(crypt.crypt('wrong', h) != h, 'the bcrypt hash verifies a wrong password')
    status, stored = t.http('GET', f'/credentials/DEFAULT_TENANT/{auth}/hashed-password')
    check(status == 200 and 'my-little-secret' not in json.dumps(stored), 'plain password in storage')


@case('E63', 'invalid adds → 400 (bcrypt cost > max, no pwd-hash, not-before ≥ not-after, bad timestamp, empty secrets); '
             'duplicate → 409')
def e63(t):
    admin = t.rr('credentials/DEFAULT_TENANT', 'admin')
    cost11 = '$2a$11$' + crypt.crypt('x', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))[7:]
    base = {'device-id': '4711', 'type': 'hashed-password'}
    invalid = [
        ([{'hash-function': 'bcrypt', 'pwd-hash': cost11}], 'bcrypt cost 11 > max 10'),
        ([{'hash-function': 'sha-256', 'salt': 'c2FsdA=='}], 'no pwd-hash'),
        ([dict(sha256_secret('x'), **{'not-before': '2030-01-01T00:00:00Z', 'not-after': '2020-01-01T00:00:00Z'})],
         'not-before after not-after'),
        ([dict(sha256_secret('x'), **{'not-before': '2030-01-01T00:00:00Z', 'not-after': '2030-01-01T00:00:00Z'})],
         'not-before equal to not-after'),
        ([dict(sha256_secret('x'), **{'not-after': 'next tuesday'})], 'unparsable timestamp'),
        ([], 'empty secrets'),
    ]
    for secrets, what in invalid:
        expect_status(admin.request('add', dict(base, **{'auth-id': uid('bad'), 'secrets': secrets})), 400, what)
    expect_status(admin.request('add', {'type': 'psk', 'auth-id': uid('x'), 'secrets': [{'key': 'a2V5'}]}), 400,
                  'missing device-id')
    expect_status(admin.request('add', dict(base, **{'auth-id': 'sensor1', 'secrets': [sha256_secret('x')]})), 409,
                  'duplicate type + auth-id')


@case('E64', 'update replaces the record (new device-id) 204, unknown 404; remove by type+auth-id and by device 204; '
             'nothing matched 404')
def e64(t):
    admin = t.rr('credentials/DEFAULT_TENANT', 'admin')
    auth = uid('upd')
    expect_status(admin.request('add', {'device-id': '4711', 'type': 'psk', 'auth-id': auth,
                                        'secrets': [{'key': 'a2V5MQ=='}]}), 201, 'add')
    expect_status(admin.request('update', {'device-id': 'new-owner', 'type': 'psk', 'auth-id': auth,
                                           'secrets': [{'key': 'a2V5Mg=='}]}), 204, 'update')
    r = expect_status(admin.request('get', {'type': 'psk', 'auth-id': auth}), 200, 'get after update')
    eq((r.json.get('device-id'), r.json.get('secrets')), ('new-owner', [{'key': 'a2V5Mg=='}]), 'updated record')
    eq(r.props.get('device_id'), 'new-owner', 'device_id after update')
    expect_status(admin.request('update', {'device-id': '4711', 'type': 'psk', 'auth-id': uid('nope'),
                                           'secrets': [{'key': 'a2V5'}]}), 404, 'update unknown')
    expect_status(admin.request('remove', {'type': 'psk', 'auth-id': auth}), 204, 'remove by type + auth-id')
    expect_status(admin.request('get', {'type': 'psk', 'auth-id': auth}), 404, 'get after remove')
    expect_status(admin.request('remove', {'type': 'psk', 'auth-id': auth}), 404, 'remove again')
    dev = uid('owner')
    for i in range(2):
        expect_status(admin.request('add', {'device-id': dev, 'type': 'psk', 'auth-id': f'{dev}-{i}',
                                            'secrets': [{'key': 'a2V5'}]}), 201, f'add {i}')
    expect_status(admin.request('remove', {'type': '*', 'device-id': dev}), 204, 'remove all of a device')
    expect_status(admin.request('get', {'type': 'psk', 'auth-id': f'{dev}-0'}), 404, 'get after removing the device\'s')
    expect_status(admin.request('remove', {'type': '*', 'device-id': dev}), 404, 'remove all again')
    expect_status(admin.request('remove', {'type': 'psk'}), 400, 'remove without auth-id or device-id')


@case('E65', 'legacy helper {"type":"*","device-id":"4711"} → 200 {"total": n, "credentials": [...]}')
def e65(t):
    rr = t.rr('credentials/DEFAULT_TENANT', 'admin')
    r = expect_status(rr.request('get', {'type': '*', 'device-id': '4711'}), 200, 'get all of 4711')
    body = r.json
    creds = body.get('credentials')
    check(isinstance(creds, list), f'credentials {creds!r}')
    eq(body.get('total'), len(creds), 'total')
    got = {(c['type'], c['auth-id']) for c in creds}
    expected = {(c['type'], c['auth-id'].replace(', ', ',')) for c in CREDENTIALS['DEFAULT_TENANT'] if c['device-id'] == '4711'}
    check(expected <= got, f'missing records: {expected - got}')
    check(all(c['device-id'] == '4711' for c in creds), 'records of other devices listed')
    return f'total {body.get("total")}'


# ============================================================================================
# F. Device Connection API
# ============================================================================================

@case('F66', 'set-last-gw 204; get-last-gw 200 {gateway-id, last-updated}; newer gateway wins; unset → 404; '
             'no gateway_id → 400')
def f66(t):
    rr = t.rr('device_con/DEFAULT_TENANT')
    dev = uid('dc')
    expect_status(rr.request('get-last-gw', props={'device_id': dev}), 404, 'never set')
    before = time.time()
    r = expect_status(rr.request('set-last-gw', props={'device_id': dev, 'gateway_id': 'gw-1'}), 204, 'set gw-1')
    check(r.response.body is None, '204 with a body')
    r = expect_status(rr.request('get-last-gw', props={'device_id': dev}), 200, 'get')
    body = r.json
    eq(body.get('gateway-id'), 'gw-1', 'gateway-id')
    stamp = body.get('last-updated', '')
    check(ISO_8601.match(stamp), f'last-updated {stamp!r} is not ISO-8601 with offset')
    eq((r.props.get('tenant_id'), r.props.get('device_id')), ('DEFAULT_TENANT', dev), 'app props')
    expect_status(rr.request('set-last-gw', props={'device_id': dev, 'gateway_id': 'gw-3'}), 204, 'set gw-3')
    eq(expect_status(rr.request('get-last-gw', props={'device_id': dev}), 200, 'get').json.get('gateway-id'), 'gw-3',
       'gateway-id after the second set')
    expect_status(rr.request('set-last-gw', props={'device_id': dev}), 400, 'set without gateway_id')
    expect_status(t.rr('device_con/TENANT_B').request('get-last-gw', props={'device_id': dev}), 404,
                  'other tenant does not see it')
    return f'last-updated {stamp} (set at {before:.0f})'


# ============================================================================================
# Audits over everything received during the run of one registry
# ============================================================================================

@case('B17z', 'audit: every response received during this registry\'s run had an AMQP int status',
      instances=('legacy', '1.x', 'legacy-first-start'))
def b17z(t):
    bad = [m for m in t.inst.responses if not is_amqp_int((m.properties or {}).get('status'))]
    check(t.inst.responses, 'no responses recorded')
    check(not bad, f'{len(bad)} responses without int status, e.g. {bad[0].properties!r}' if bad else '')
    return f'{len(t.inst.responses)} responses checked'


@case('B20z', 'audit: every cache_control received during this registry\'s run was no-cache or max-age=N≥1',
      instances=('legacy', '1.x', 'legacy-first-start'))
def b20z(t):
    values = [(m.properties or {}).get('cache_control') for m in t.inst.responses]
    bad = [v for v in values if v is not None and not CACHE_RE.match(v)]
    check(not bad, f'invalid cache_control values: {sorted(set(map(repr, bad)))}')
    return f'{sum(v is not None for v in values)} directives: {sorted(set(v for v in values if v))}'


# --------------------------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------------------------

def emit(record):
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + '\n')
    sys.stdout.flush()


def selected_cases(only):
    rx = re.compile(only) if only else None
    for inst in INSTANCES:
        for c in CASES:
            if inst.name in c.instances and (rx is None or rx.search(f'{inst.name}:{c.id}')):
                yield inst, c


def run_case(inst, c):
    t = T(inst)
    DEADLINE[0] = time.monotonic() + c.budget
    started = time.monotonic()
    try:
        detail = c.fn(t)
        ok, text = True, detail or ''
        if c.xfail:
            text = f'XPASS (the known bug seems fixed: {c.xfail}) {text}'.strip()
    except CaseFail as err:
        ok, text = False, str(err)
    except Exception as err:  # noqa: BLE001 - report, never abort the run
        ok, text = False, f'{type(err).__name__}: {err} | {traceback.format_exc(limit=3)}'
    finally:
        DEADLINE[0] = float('inf')
        for client in inst.clients:
            client.close()
        inst.clients.clear()
    if not ok and c.xfail:
        ok, text = None, f'XFAIL known registry bug: {c.xfail} (observed: {text})'
    if t.notes:
        text = (text + ' | ' + '; '.join(t.notes)).strip(' |')
    return ok, f'{text} [{time.monotonic() - started:.2f} s]'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--list', action='store_true', help='print the cases as JSON lines (ok null) and exit')
    parser.add_argument('--only', help='regex on "<instance>:<case id>" selecting cases')
    parser.add_argument('--main', default=MAIN_JS, help='the registry entry point to run (default: dist/main.js)')
    args = parser.parse_args()
    main_js = os.path.abspath(args.main)
    cases = list(selected_cases(args.only))
    if args.list:
        for inst, c in cases:
            emit({'id': c.id, 'profile': inst.name, 'name': c.name, 'ok': None, 'detail': 'not run',
                  'xfail': bool(c.xfail)})
        return 0
    if not os.path.exists(main_js):
        for inst, c in cases:
            emit({'id': c.id, 'profile': inst.name, 'name': c.name, 'ok': False,
                  'detail': f'{main_js} is missing: run make build (npx tsc -p tsconfig.build.json)'})
        return 2

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    atexit.register(cleanup)
    tmp = tempfile.mkdtemp(prefix='hono-conformance-')
    TMP.append(tmp)
    failed = 0
    try:
        instances = sorted({inst.name: inst for inst, _ in cases}.values(), key=INSTANCES.index)
        setup_error = None
        try:
            # Each registry gets a database of one redis-server, or with TEST_REDIS=cluster (make
            # test-cluster) a 3-master Redis Cluster of its own (a cluster has no databases).
            on_cluster = os.environ.get('TEST_REDIS') == 'cluster'
            redis_port = None if on_cluster else start_redis(tmp)
            for db, inst in enumerate(instances):
                start_registry(inst, tmp, start_cluster(tmp, inst.name) if on_cluster else redis_port, db, main_js)
            keys = make_keys()
            for inst in instances:
                try:
                    wait_registry(inst)
                    if not inst.accounts:  # the registry generated the account and its password
                        with open(os.path.join(inst.data_dir, 'amqp-adapter-password')) as f:
                            inst.users[ADAPTER] = f.read().strip()
                    provision_fixture(inst, keys)
                except Exception as err:  # noqa: BLE001
                    inst.error = f'{type(err).__name__}: {err}'
        except Exception as err:  # noqa: BLE001
            setup_error = f'harness setup failed: {type(err).__name__}: {err}'
        for inst, c in cases:
            error = setup_error or (inst.error and f'registry {inst.name} not usable: {inst.error}')
            if error:
                ok, detail = False, error
            else:
                ok, detail = run_case(inst, c)
            failed += ok is False
            emit({'id': c.id, 'profile': inst.name, 'name': c.name, 'ok': ok, 'detail': detail})
        for inst in instances:
            stop_registry(inst)
    finally:
        cleanup()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
