"""dvs_driver: events from a camera, an AEDAT4 file, a rosbag2 bag or the simulator.

Publishes ``events`` (PointCloud2 packets, or with ``events_type:=event_packet`` the event
camera drivers' event_camera_msgs/EventPacket; ``both``: PointCloud2 on ``events`` and
EventPacket on ``event_packets``), ``camera_info``, ``event_frame`` (bgr8, at the
viewing rate) and ``/diagnostics``. Bad events are dropped and counted, a failing source is
logged and retried, and a reliable publisher that meets a slow reader waits for it instead of
dropping packets.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy._rclpy_pybind11 import RCLError
from rclpy.node import Node
from rclpy.task import Future
from sensor_msgs.msg import CameraInfo, Image, PointCloud2

from hybrid_perception.errors import EventFormatError, HybridPerceptionError
from hybrid_perception.events.array import DropCounts, EventSanitizer, SensorSize, concatenate
from hybrid_perception.events.cdr import write_cloud, write_event_packet
from hybrid_perception.events.codecs import ENCODINGS, PacketStream, encode_packet, warm_up
from hybrid_perception.events.representations import render_bgr
from hybrid_perception.geometry.calibration import CameraCalibration, read_calibration
from hybrid_perception.io.player import PacketPlayer, RecordedPacketPlayer
from hybrid_perception.io.recordings import FORMATS
from hybrid_perception.io.rosbag import EventBagReader
from hybrid_perception.io.sources import SOURCE_KINDS, looping, open_source
from hybrid_perception.ros.conversions import camera_info, matrix_to_image
from hybrid_perception.ros.diagnostics import diagnostics
from hybrid_perception.ros.entry import run_node
from hybrid_perception.ros.event_input import event_packet_type
from hybrid_perception.ros.parameters import declare_parameters
from hybrid_perception.ros.qos import RELIABILITIES, RESULTS_QOS, stream_qos
from hybrid_perception.ros.timers import create_pacing_timer

PARAMETERS = {
    'source': ('synthetic', f'event source: {", ".join(SOURCE_KINDS)}'),
    'path': ('', 'recording to replay (file: any format io.recordings reads, recognised by '
                 'content; aedat4 / rosbag: that format only)'),
    'topic': ('', 'events topic inside the bag (rosbag source; empty = the first PointCloud2 or '
                  'EventPacket)'),
    'format': ('auto', 'recording format of the file source: auto (recognised by content) or '
                       'one of ' + ', '.join(FORMATS)),
    'group': ('', 'HDF5 group of the events (file source; empty = DHP19 cam0_events, DSEC '
                  'events, or the first group of x/y/t/p columns)'),
    'camera_serial': ('', 'camera serial number (camera source; empty = first found)'),
    'rate': (1.0, 'replay speed of files and the simulator: 1.0 real time, 0 as fast as '
                  'possible'),
    'loop': (False, 'replay the file again from the start when it ends'),
    'packet_period_us': (1000, 'time span of one events packet (latency vs per-message cost)'),
    'sensor_width': (128, 'sensor width (synthetic source, or a recording that gives no size: '
                          'CSV, npy, N-MNIST .bin, a bag without camera_info)'),
    'sensor_height': (128, 'sensor height (as sensor_width)'),
    'seed': (0, 'random seed of the synthetic source'),
    'frame_id': ('camera', 'frame_id of every published header'),
    'camera_info_url': ('', 'calibration for camera_info: a camera_calibration YAML file '
                            '(file:///path or a path, as camera_info_manager reads); empty = '
                            'the recording\'s own (a bag\'s CameraInfo), else the size only'),
    'events_type': ('point_cloud2', 'what events carries: point_cloud2, event_packet '
                                    '(event_camera_msgs/EventPacket) or both (EventPacket on '
                                    'event_packets)'),
    'encoding': ('evt3', f'EventPacket encoding: {", ".join(ENCODINGS)} (evt3: the most '
                         'compact and the most widely decoded)'),
    'forward_packets': (True, 'an EventPacket bag replayed as event_packet in its own encoding '
                              '(no loop) goes out as recorded: its packets forwarded, not '
                              'decoded, checked and re-encoded (the readers check them)'),
    'view_rate_hz': (30.0, 'rate of event_frame and camera_info'),
    'reliability': ('auto', 'events QoS: auto (best effort live, reliable files), reliable, '
                            'best_effort'),
    'wait_for_subscribers': (0, 'hold file replay until this many events subscribers match'),
    'retry_period_s': (1.0, 'how often a source that is not there (no camera, missing file) is '
                           'retried'),
    'publish_timeout_s': (5.0, 'how long a reliable publish waits for a slow reader'),
}


EVENTS_TYPES = ('point_cloud2', 'event_packet', 'both')


def validate(p: dict) -> None:
    """Reject values that would fail later, mid-stream, with a message naming the parameter."""
    problems = [message for bad, message in (
        (p['source'] not in SOURCE_KINDS, f"source must be one of {', '.join(SOURCE_KINDS)}"),
        (p['format'] not in ('auto', *FORMATS), f"format must be auto or one of "
                                                 f"{', '.join(FORMATS)}"),
        (p['events_type'] not in EVENTS_TYPES,
         f"events_type must be one of {', '.join(EVENTS_TYPES)}"),
        (p['encoding'] not in ENCODINGS, f"encoding must be one of {', '.join(ENCODINGS)}"),
        (p['reliability'] not in RELIABILITIES,
         f"reliability must be one of {', '.join(RELIABILITIES)}"),
        (p['rate'] < 0, 'rate must be >= 0 (0 = as fast as possible)'),
        (p['packet_period_us'] <= 0, 'packet_period_us must be > 0'),
        (p['view_rate_hz'] <= 0, 'view_rate_hz must be > 0'),
        (p['sensor_width'] <= 0 or p['sensor_height'] <= 0, 'sensor size must be > 0'),
        (p['retry_period_s'] <= 0 or p['publish_timeout_s'] <= 0,
         'retry_period_s and publish_timeout_s must be > 0'),
    ) if bad]
    if problems:
        raise HybridPerceptionError('invalid dvs_driver parameters: ' + '; '.join(problems))


class DvsDriver(Node):
    """Publishes events packets from the configured source (see PARAMETERS)."""

    def __init__(self, **kwargs) -> None:
        super().__init__('dvs_driver', **kwargs)
        self.p = p = declare_parameters(self, PARAMETERS)
        validate(p)
        self.live = p['source'] == 'camera'
        self.player: PacketPlayer | RecordedPacketPlayer | None = None
        #: a bag's EventPackets forwarded as recorded (forward_packets); decoded only for the view
        self.forwarding = False
        self._view_stream = PacketStream()
        self.sensor = SensorSize(p['sensor_width'], p['sensor_height'])
        self.finished = Future()
        self.drops = DropCounts()  # kept across source re-opens
        self.stats = {'events': 0, 'packets': 0, 'forwarded_bytes': 0, 'publish_retries': 0,
                      'undelivered': 0, 'undelivered_packets': 0, 'source_errors': 0,
                      'calibration_errors': 0}
        self._since_view: list = []
        self._last_error = ''
        self.read_as = ''  # the format the open recording is read as
        #: the calibration camera_info carries (None: size only), and where it came from
        self.calibration: CameraCalibration | None = None
        self.calibration_note = 'none'
        qos = stream_qos(p['reliability'], live=self.live)
        self.cloud_pub = self.packet_pub = None
        if p['events_type'] != 'event_packet':
            self.cloud_pub = self.create_publisher(PointCloud2, 'events', qos)
        if p['events_type'] != 'point_cloud2':
            warm_up()
            self.packet_pub = self.create_publisher(
                event_packet_type(), 'events' if self.cloud_pub is None else 'event_packets', qos)
        self.events_pub = self.cloud_pub or self.packet_pub
        self.info_pub = self.create_publisher(CameraInfo, 'camera_info', RESULTS_QOS)
        self.frame_pub = self.create_publisher(Image, 'event_frame', RESULTS_QOS)
        self.diag_pub = self.create_publisher(DiagnosticArray, '/diagnostics', RESULTS_QOS)
        pump_period = p['packet_period_us'] * 1e-6
        if p['rate'] > 0 and not self.live:
            pump_period /= p['rate']
        create_pacing_timer(self, pump_period if p['rate'] > 0 or self.live else 1e-4,
                            self._pump)
        self.create_timer(1.0 / p['view_rate_hz'], self._publish_view)
        self.create_timer(1.0, self._publish_diagnostics)
        self._next_open = 0.0
        #: a packet not yet fully published (a full reader refused it): ([(publisher,
        #: message) still to go], events, refused since)
        self._held: tuple | None = None

    def _open(self) -> None:
        p = self.p
        source = open_source(p['source'], path=p['path'], topic=p['topic'], group=p['group'],
                             format=p['format'],
                             sensor=self.sensor, serial=p['camera_serial'], seed=p['seed'])
        self.sensor = source.sensor
        self._calibrate(getattr(source, 'calibration', None))
        self.read_as = getattr(source, 'format', p['source'])
        # only a bag's EventPackets go out as recorded: a RAW file of the same encoding has
        # words too, but no packets, stamps or seq to forward
        self.forwarding = (p['forward_packets'] and not p['loop'] and self.cloud_pub is None
                           and isinstance(source, EventBagReader)
                           and source.encoding == p['encoding'])
        if self.forwarding:
            self.player = RecordedPacketPlayer(source.recorded_packets(), rate=p['rate'])
            self.read_as += f' EventPacket {p["encoding"]}, forwarded as recorded'
        else:
            self.player = PacketPlayer(
                looping(lambda: source, p['loop']), EventSanitizer(self.sensor, drops=self.drops),
                period_us=p['packet_period_us'], rate=p['rate'], live=self.live)
        self.get_logger().info(f'source {p["source"]} {p["path"]} ({self.read_as}) open: sensor '
                               f'{self.sensor.width}x{self.sensor.height}, packets of '
                               f'{p["packet_period_us"]} µs, rate {p["rate"]}')

    def _calibrate(self, own: CameraCalibration | None) -> None:
        """camera_info_url's calibration, else the recording's own; one made for another image
        size is refused (its K would be wrong for every pixel) and camera_info keeps the size."""
        calibration, url = own, self.p['camera_info_url']
        if url:
            try:
                calibration = read_calibration(url)
            except HybridPerceptionError as err:
                self._reject_calibration(str(err))
                return
        if calibration is None:
            self.calibration, self.calibration_note = None, 'none'
        elif SensorSize(calibration.width, calibration.height) != self.sensor:
            self._reject_calibration(
                f'{calibration.source} is for {calibration.width}x{calibration.height} images, '
                f'the sensor is {self.sensor.width}x{self.sensor.height}')
        else:
            self.calibration, self.calibration_note = calibration, calibration.source
            self.get_logger().info(f'camera_info calibrated from {calibration.source} '
                                   f'({calibration.distortion_model})')

    def _reject_calibration(self, why: str) -> None:
        self.calibration, self.calibration_note = None, f'refused: {why}'
        self.stats['calibration_errors'] += 1
        self.get_logger().error(f'calibration not used, camera_info carries the size only: {why}')

    def _pump(self) -> None:
        if self.finished.done():
            return
        now = time.monotonic()
        try:
            if self.player is None:
                if now < self._next_open or \
                        self.events_pub.get_subscription_count() < self.p['wait_for_subscribers']:
                    return
                self._open()
            if self._held is not None and not self._publish_held():
                return
            budget_end = now + 0.05
            while True:
                packets = self.player.due(time.monotonic(), max_packets=64)
                for i, item in enumerate(packets):
                    self._held = (self._messages(item), item, None)
                    if not self._publish_held():
                        self.player.give_back(packets[i + 1:])
                        return
                if not packets or time.monotonic() > budget_end:
                    break
        except HybridPerceptionError as err:
            self._source_failed(err)
            return
        if self.player.finished and self._held is None:
            self._end_of_source()

    def _messages(self, item) -> list:
        """(publisher, message) pairs carrying one packet: a (window start, events) pair of
        the player, or a recorded EventPacket forwarded with its words, stamp and seq."""
        if self.forwarding:
            return [(self.packet_pub, write_event_packet(item, self.p['frame_id']))]
        stamp, events = item
        messages = []
        if self.cloud_pub is not None:
            messages.append((self.cloud_pub, write_cloud(events, stamp, self.p['frame_id'])))
        if self.packet_pub is not None:
            # As metavision_driver stamps: the first event's time (``stamp`` when empty).
            packet = encode_packet(events, self.p['encoding'], self.sensor.width,
                                   self.sensor.height, self.stats['packets'],
                                   None if events.size else stamp)
            messages.append((self.packet_pub, write_event_packet(packet, self.p['frame_id'])))
        return messages

    def _publish_held(self) -> bool:
        """Publish the held packet; False while a reliable reader's history is full.

        The packet stays held and the callback returns, so the executor serves everything
        else (a reader in this very process among them: waiting here for it would deadlock
        the graph) and Ctrl-C; the next tick tries again. After ``publish_timeout_s`` of
        refusals the packet is counted as undelivered and dropped.
        """
        messages, item, refused_since = self._held
        try:
            while messages:
                publisher, msg = messages[0]
                publisher.publish(msg)
                messages = messages[1:]
        except RCLError:  # reliable KEEP_ALL history full: a reader is behind
            self.stats['publish_retries'] += 1
            now = time.monotonic()
            self._held = (messages, item, now if refused_since is None else refused_since)
            if refused_since is not None and now - refused_since > self.p['publish_timeout_s']:
                self._held = None
                self.stats['undelivered_packets'] += 1
                what = 'a recorded packet' if self.forwarding else f'{item[1].size} events'
                if not self.forwarding:
                    self.stats['undelivered'] += item[1].size
                self.get_logger().error(
                    f'a reader has not taken packets for {self.p["publish_timeout_s"]} s; '
                    f'{what} undelivered ({self.stats["undelivered_packets"]} packets so far)',
                    throttle_duration_sec=5.0)
                return True
            return False
        self._held = None
        self.stats['packets'] += 1
        if self.forwarding:
            self.stats['forwarded_bytes'] += len(item.data)
        else:
            self.stats['events'] += item[1].size
        if self.frame_pub.get_subscription_count():
            # a forwarded packet is decoded only for the view, and only while someone looks
            self._since_view.append(self._view_stream.push(item)[0] if self.forwarding
                                    else item[1])
        return True

    def _source_failed(self, err: Exception) -> None:
        """Log the failure; retry a camera or a file not there yet, never a broken file.

        A broken file (truncated, corrupt: EventFormatError) fails again at the same place, and
        re-opening it mid-replay would publish its good part again, going back in time.
        """
        self.stats['source_errors'] += 1
        self._last_error = str(err)
        retry = self.live or not isinstance(err, EventFormatError)
        self.player = None
        if retry:
            self._next_open = time.monotonic() + self.p['retry_period_s']
            suffix = f'retrying every {self.p["retry_period_s"]} s'
        else:
            self._next_open = float('inf')
            suffix = 'replay stopped'
        self.get_logger().error(f'source {self.p["source"]}: {err} ({suffix})',
                                throttle_duration_sec=10.0)

    def _end_of_source(self) -> None:
        carried = (f'{self.stats["forwarded_bytes"]} bytes forwarded as recorded'
                   if self.forwarding else f'{self.stats["events"]} events')
        self.get_logger().info(f'end of {self.p["path"]}: {carried} in {self.stats["packets"]} '
                               f'packets, {self.drops.total} dropped')
        self._publish_diagnostics()
        self.finished.set_result(self.stats['events'])

    def _publish_view(self) -> None:
        if self.player is not None and not self.finished.done():
            # only an open source has a size: the nodes fit their input to what this says
            now_us = time.time_ns() // 1000
            self.info_pub.publish(camera_info(self.sensor, now_us, self.p['frame_id'],
                                              self.calibration))
        if not self._since_view:
            return
        events = concatenate(self._since_view)
        self._since_view = []
        stamp = int(events['timestamp'][-1])
        self.frame_pub.publish(matrix_to_image(render_bgr(events, self.sensor), 'bgr8', stamp,
                                               self.p['frame_id']))

    def _publish_diagnostics(self) -> None:
        drops = self.drops
        level = DiagnosticStatus.OK
        message = 'streaming' if self.player else 'waiting for source'
        if self._last_error and self.player is None:
            level, message = DiagnosticStatus.ERROR, self._last_error
        elif drops.total or self.stats['undelivered_packets']:
            level, message = DiagnosticStatus.WARN, 'events dropped (see values)'
        elif self.calibration_note.startswith('refused'):
            level, message = DiagnosticStatus.WARN, 'calibration refused (see values)'
        values = {**self.stats, 'dropped_out_of_bounds': drops.out_of_bounds,
                  'dropped_backwards_in_time': drops.backwards_in_time,
                  'source': self.p['source'], 'read_as': self.read_as,
                  'sensor': f'{self.sensor.width}x{self.sensor.height}',
                  'calibration': self.calibration_note}
        self.diag_pub.publish(diagnostics(self, 'event stream', level, message,
                                          self.p['path'] or self.p['source'], values))


def main(args=None) -> None:
    run_node(DvsDriver, 'dvs_driver', args)


if __name__ == '__main__':
    main()
