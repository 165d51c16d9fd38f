from rest_framework import serializers


class TechniqueRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    specialty = serializers.CharField(help_text="The specialty's code.")


class ComponentsSerializer(serializers.Serializer):
    referrals = serializers.FloatField()
    requests = serializers.FloatField()
    nearby = serializers.FloatField()


class RankedGapSerializer(serializers.Serializer):
    technique = TechniqueRefSerializer()
    score = serializers.FloatField(help_text="0-100: referrals + requests + nearby.")
    components = ComponentsSerializer()
    referrals_12_months = serializers.FloatField()
    requests = serializers.IntegerField()
    requested = serializers.BooleanField(help_text="Already asked for in a needs survey.")
    nearby_performing = serializers.IntegerField()
    why = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class SpecialtyGapSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    allowed = serializers.IntegerField()
    performed = serializers.IntegerField()
    gap = serializers.IntegerField()
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Codes of the techniques not performed."
    )


class FacilityRefSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    technical_level = serializers.CharField()


class FacilityGapSerializer(serializers.Serializer):
    facility = FacilityRefSerializer()
    allowed = serializers.IntegerField()
    performed = serializers.IntegerField()
    gap = serializers.IntegerField()
    referrals_available = serializers.BooleanField()
    specialties = SpecialtyGapSerializer(many=True)
    ranked = RankedGapSerializer(many=True)


class CellSerializer(serializers.Serializer):
    allowed = serializers.IntegerField()
    performed = serializers.IntegerField()
    gap = serializers.IntegerField()


class MatrixRowSerializer(FacilityRefSerializer):
    allowed = serializers.IntegerField()
    performed = serializers.IntegerField()
    gap = serializers.IntegerField()
    cells = serializers.DictField(child=CellSerializer(), help_text="By specialty code.")


class SpecialtyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MatrixSerializer(serializers.Serializer):
    root = FacilityRefSerializer(allow_null=True)
    specialties = SpecialtyRefSerializer(many=True)
    facilities = MatrixRowSerializer(many=True)
