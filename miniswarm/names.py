"""Names: for unnamed services, as swarm invents them (moby's pkg/namesgenerator: an
adjective and a famous scientist or hacker, "dazzling_hertz"), and for tasks."""

from __future__ import annotations

from random import Random

LEFT = """admiring adoring affectionate agitated amazing angry awesome beautiful blissful bold
boring brave busy charming clever compassionate competent condescending confident cool cranky
crazy dazzling determined distracted dreamy eager ecstatic elastic elated elegant eloquent epic
exciting fervent festive flamboyant focused friendly frosty funny gallant gifted goofy gracious
great happy hardcore heuristic hopeful hungry infallible inspiring intelligent interesting jolly
jovial keen kind laughing loving lucid magical modest musing mystifying naughty nervous nice
nifty nostalgic objective optimistic peaceful pedantic pensive practical priceless quirky quizzical
recursing relaxed reverent romantic sad serene sharp silly sleepy stoic strange stupefied
suspicious sweet tender thirsty trusting unruffled upbeat vibrant vigilant vigorous wizardly
wonderful xenodochial youthful zealous zen""".split()

RIGHT = """agnesi albattani allen almeida antonelli archimedes ardinghelli aryabhata austin babbage
banach banzai bardeen bartik bassi beaver bell benz bhabha bhaskara black blackburn blackwell bohr
booth borg bose bouman boyd brahmagupta brattain brown buck burnell cannon carson cartwright carver
cerf chandrasekhar chaplygin chatelet chatterjee chaum chebyshev clarke cohen colden cori cray
curie darwin davinci dewdney dhawan diffie dijkstra dirac driscoll dubinsky easley edison einstein
elbakyan elgamal elion ellis engelbart euclid euler faraday feistel fermat fermi feynman franklin
gagarin galileo galois ganguly gates gauss germain goldberg goldstine goldwasser golick goodall
gould greider grothendieck haibt hamilton haslett hawking heisenberg hellman hermann herschel
hertz heyrovsky hodgkin hofstadter hoover hopper hugle hypatia ishizaka jackson jang jemison
jennings jepsen johnson joliot jones kalam kapitsa kare keldysh keller kepler khayyam khorana
kilby kirch knuth kowalevski lalande lamarr lamport leakey leavitt lederberg lehmann lewin
lichterman liskov lovelace lumiere mahavira margulis matsumoto maxwell mayer mccarthy mcclintock
mclaren mclean mcnulty meitner mendel mendeleev meninsky merkle mestorf mirzakhani montalcini moore
morse moser murdock napier nash neumann newton nightingale nobel noether northcutt noyce panini
pare pascal pasteur payne perlman pike poincare poitras proskuriakova ptolemy raman ramanujan
rhodes ride ritchie robinson roentgen rosalind rubin saha sammet sanderson satoshi shamir shannon
shaw shirley shockley shtern sinoussi snyder solomon spence stonebraker sutherland swanson
swartz swirles taussig tesla tharp thompson torvalds tu turing varahamihira vaughan villani
visvesvaraya volhard wescoff wilbur wiles williams williamson wilson wing wozniak wright wu yalow
yonath zhukovsky""".split()


def random_name(rng: Random) -> str:
    while True:
        name = f"{rng.choice(LEFT)}_{rng.choice(RIGHT)}"
        if name != "boring_wozniak":  # Steve Wozniak is not boring (moby's rule)
            return name


def task_name(task: dict) -> str:
    """swarm's naming.Task, also its container's name: service.slot.taskID, or
    service.nodeID.taskID for a global service's task."""
    service = task.get("_service_name", task.get("ServiceID", ""))
    middle = str(task["Slot"]) if task.get("Slot") else task.get("NodeID", "")
    return f"{service}.{middle}.{task['ID']}"
