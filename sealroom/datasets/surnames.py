"""The most common Chinese surnames, the anchor of the personal-name detector.

Roughly the hundred most frequent single-character surnames of the 2020 census
ranking (with the variants 阎/闫, 付/傅, 肖/萧; together they cover about 85% of
the population), plus the compound surnames that still occur. A name whose
surname is rarer is missed; that is the accepted cost of not flagging every
short Chinese phrase as a name.
"""

from __future__ import annotations

SINGLE_SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田于肖潘袁董叶杜"
    "丁蒋程余吕魏蔡苏任卢沈姜姚钟崔陆谭汪石付傅贾范金方韦夏廖侯白孟邹秦尹江熊薛邱阎闫"
    "段雷季史陶毛贺龙万顾关郝孔向龚邵钱武黎汤戴严文常牛莫洪米康温代赖施覃安萧"
)

COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "司徒",
        "令狐",
        "夏侯",
        "长孙",
        "宇文",
        "端木",
        "西门",
        "南宫",
        "轩辕",
        "呼延",
        "澹台",
    }
)
