"""The camera words that event_camera_msgs/EventPacket carries: evt3, evt2 (Prophesee),
libcaer, libcaer_cmp (iniVation through libcaer_driver) and mono (event_camera_codecs), plus
evt21 (in Prophesee RAW files), decoded and encoded by compiled loops, with a plain-Python
reading of each specification in :mod:`.reference` to hold them to."""

from hybrid_perception.events.codecs.packets import (
    CODECS,
    ENCODINGS,
    DecodeCounts,
    PacketDecoder,
    PacketStream,
    RawPacket,
    encode_packet,
    warm_up,
)

__all__ = ['CODECS', 'ENCODINGS', 'DecodeCounts', 'PacketDecoder', 'PacketStream', 'RawPacket',
           'encode_packet', 'warm_up']
